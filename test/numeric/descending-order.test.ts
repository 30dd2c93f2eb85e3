import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortDescending, sortScratch } from '../../src/numeric/descending-order.js';

/** The order torch.sort(descending=True) gives with a stable sort: NaN first, ties by index. */
function referenceOrder(values: ArrayLike<number>): number[] {
  const key = (v: number) => (Number.isNaN(v) ? Number.POSITIVE_INFINITY : v);
  return Array.from(values, (_, i) => i).sort((i, j) => {
    const a = values[i] as number;
    const b = values[j] as number;
    if (Number.isNaN(a) !== Number.isNaN(b)) return Number.isNaN(a) ? -1 : 1;
    return key(b) - key(a) || i - j;
  });
}

// few distinct values, so that ties are common; the specials the bit mapping must place
const value = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, -5e-324),
  fc.integer({ min: -40, max: 40 }).map((k) => k / 8),
  // equal in their leading 52 - 32 mantissa bits: only the low words tell them apart
  fc.integer({ min: 0, max: 60 }).map((k) => 1 + k * 2 ** -52),
  fc.double({ noNaN: false }),
);

describe('sortDescending', () => {
  it.each([
    ['float64', 1],
    ['float64', 700],
    ['float64', 3000],
    ['float32', 700],
    ['float32', 3000],
  ])('orders %s values decreasingly, NaN first, ties in index order (n = %i)', (dtype, n) => {
    fc.assert(
      fc.property(fc.array(value, { minLength: n, maxLength: n }), (xs) => {
        const values = dtype === 'float32' ? Float32Array.from(xs) : Float64Array.from(xs);
        expect(Array.from(sortDescending(values, n, sortScratch(n)))).toEqual(referenceOrder(values));
      }),
      { numRuns: 20 },
    );
  });

  it('sorts long runs of equal high words by their low words, stably', () => {
    // 2000 values in 1 + [0, 40) ulp: one run of equal high words, far longer than insertion's
    const n = 2000;
    const values = Float64Array.from({ length: n }, (_, i) => 1 + ((i * 37) % 40) * 2 ** -52);
    expect(Array.from(sortDescending(values, n, sortScratch(n)))).toEqual(referenceOrder(values));
  });
});
