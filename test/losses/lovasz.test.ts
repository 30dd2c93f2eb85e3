import { describe, expect, it } from 'vitest';
import { lovaszScratch, lovaszSorted } from '../../src/losses/lovasz.js';
import { lovaszByThresholds } from '../helpers/lovasz.js';

describe('lovaszSorted', () => {
  it('is the Lovász extension on either side of the radix sort threshold (the threshold integral as the oracle)', () => {
    for (const n of [100, 511, 512, 2000]) {
      const errors = Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 101) / 100);
      const truth = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
      const s = lovaszScratch(n, errors);
      s.truth.set(truth);
      expect(lovaszSorted(s, n, false)).toBeCloseTo(lovaszByThresholds(Array.from(errors), truth), 10);
    }
  });
});
