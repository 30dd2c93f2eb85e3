// src/numeric/exp.ts (the softmax's exp): within 2 ulp of Math.exp, and the same at the edges.
// (A numeric test; it lives with the codec tests, where this change's tests were asked for.)

import { describe, expect, it } from 'vitest';
import { exp } from '../../src/numeric/exp.js';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function ulp(v: number): number {
  f64[0] = Math.abs(v);
  const a = f64[0] as number;
  u32[0] = ((u32[0] as number) + 1) >>> 0;
  if (u32[0] === 0) u32[1] = (u32[1] as number) + 1;
  return (f64[0] as number) - a;
}

describe('exp', () => {
  it('is within 2 ulp of Math.exp over its whole range', () => {
    let worst = 0;
    let seed = 7;
    for (let i = 0; i < 300_000; i++) {
      seed = (seed * 48271) % 2147483647;
      const u = seed / 2147483647;
      const x = i % 3 === 0 ? (u - 0.5) * 1416 : i % 3 === 1 ? (u - 0.5) * 40 : (u - 0.5) * 1e-3;
      const want = Math.exp(x);
      if (want === 0 || !Number.isFinite(want)) continue;
      worst = Math.max(worst, Math.abs(exp(x) - want) / ulp(want));
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('agrees with Math.exp at the edges: 0, ±Infinity, NaN, overflow, underflow', () => {
    for (const x of [0, -0, 1, -1, Infinity, -Infinity, Number.NaN, 709.7, 710, -707.9, -745, -746, 1e-300]) {
      const got = exp(x);
      const want = Math.exp(x);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else if (want === 0 || !Number.isFinite(want)) expect(got).toBe(want);
      else expect(Math.abs(got - want)).toBeLessThanOrEqual(2 * ulp(want));
    }
  });
});
