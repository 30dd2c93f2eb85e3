import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { softDtw } from '../../src/losses/soft-dtw.js';
import type { FloatTensor } from '../../src/numeric/tensor.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  optionPaths,
  refusal,
  uniform,
} from '../helpers/kernel.js';

const loss: AnyLossDescriptor = softDtw;

type Seq = number[][];

/** D_ij = |x_i - y_j|². */
function costs(x: Seq, y: Seq): number[][] {
  return x.map((xi) => y.map((yj) => xi.reduce((s, v, k) => s + (v - (yj[k] as number)) ** 2, 0)));
}

/**
 * The recursion as the paper writes it, softmin_γ(a) = -γ log Σ exp(-a_k / γ) taken about its
 * smallest term (unshifted, exp(-a_k / γ) goes subnormal once a_k / γ passes ~708 and the
 * oracle itself loses digits: R ≈ 80 at γ = 0.1 is enough).
 */
function plainSoftDtw(
  x: Seq,
  y: Seq,
  gamma: number,
  min = (a: number[]) => {
    const lo = Math.min(...a);
    if (lo === Number.POSITIVE_INFINITY) return lo;
    return lo - gamma * Math.log(a.reduce((s, v) => s + Math.exp(-(v - lo) / gamma), 0));
  },
) {
  const D = costs(x, y);
  const n = x.length;
  const m = y.length;
  const R = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(Number.POSITIVE_INFINITY));
  (R[0] as number[])[0] = 0;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const r = R as number[][];
      (r[i] as number[])[j] =
        ((D[i - 1] as number[])[j - 1] as number) + min([r[i - 1]![j]!, r[i - 1]![j - 1]!, r[i]![j - 1]!]);
    }
  }
  return { R, D, value: (R[n] as number[])[m] as number };
}

/** mblondel's backward E recursion (sdtw/soft_dtw_fast.pyx), and the chain into x. */
function mblondelGradX(x: Seq, y: Seq, gamma: number): Seq {
  const { R: R0, D: D0 } = plainSoftDtw(x, y, gamma);
  const n = x.length;
  const m = y.length;
  const R = Array.from({ length: n + 2 }, (_, i) =>
    Array.from({ length: m + 2 }, (_, j) => (i <= n && j <= m ? ((R0[i] as number[])[j] as number) : 0)),
  );
  const D = Array.from({ length: n + 1 }, (_, i) =>
    Array.from({ length: m + 1 }, (_, j) => (i < n && j < m ? D0[i]![j]! : 0)),
  );
  const E = Array.from({ length: n + 2 }, () => new Array<number>(m + 2).fill(0));
  for (let i = 1; i <= n; i++) R[i]![m + 1] = Number.NEGATIVE_INFINITY;
  for (let j = 1; j <= m; j++) R[n + 1]![j] = Number.NEGATIVE_INFINITY;
  E[n + 1]![m + 1] = 1;
  R[n + 1]![m + 1] = R[n]![m]!;
  for (let j = m; j >= 1; j--) {
    for (let i = n; i >= 1; i--) {
      const a = Math.exp((R[i + 1]![j]! - R[i]![j]! - D[i]![j - 1]!) / gamma);
      const b = Math.exp((R[i]![j + 1]! - R[i]![j]! - D[i - 1]![j]!) / gamma);
      const c = Math.exp((R[i + 1]![j + 1]! - R[i]![j]! - D[i]![j]!) / gamma);
      E[i]![j] = E[i + 1]![j]! * a + E[i]![j + 1]! * b + E[i + 1]![j + 1]! * c;
    }
  }
  return x.map((xi, i) => xi.map((v, k) => y.reduce((s, yj, j) => s + 2 * E[i + 1]![j + 1]! * (v - yj[k]!), 0)));
}

const tensor = (s: Seq): FloatTensor => f64([s.length, (s[0] as number[]).length], s.flat());

const seqs = fc
  .integer({ min: 1, max: 3 })
  .chain((d) =>
    fc.tuple(
      fc.array(fc.array(uniform(-2, 2), { minLength: d, maxLength: d }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.array(uniform(-2, 2), { minLength: d, maxLength: d }), { minLength: 1, maxLength: 6 }),
      uniform(0.1, 3),
    ),
  );

describe('soft_dtw', () => {
  it('is R_nm of the soft-min recursion over squared distances (the plain recursion as oracle)', () => {
    fc.assert(
      fc.property(seqs, ([x, y, gamma]) => {
        const r = evaluate(loss, { x: tensor(x), y: tensor(y) }, { gamma });
        const want = plainSoftDtw(x, y, gamma).value;
        expect(Math.abs((r.loss as number) - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
      }),
    );
  });

  it('has the gradient of mblondel’s backward E recursion', () => {
    fc.assert(
      fc.property(seqs, ([x, y, gamma]) => {
        const r = evaluate(loss, { x: tensor(x), y: tensor(y) }, { gamma }, ['x']);
        const want = mblondelGradX(x, y, gamma).flat();
        const got = r.grads.x as Float64Array;
        want.forEach((w, i) => {
          expect(Math.abs((got[i] as number) - w)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w)));
        });
      }),
      { numRuns: 50 },
    );
  });

  it('tends to DTW (the hard-min recursion) as γ → 0, and stays finite for tiny γ', () => {
    const x = [[0], [1.5], [2], [0.5]];
    const y = [[0.2], [2.1], [0.4]];
    const dtw = plainSoftDtw(x, y, 1, (a) => Math.min(...a)).value;
    const soft = evaluate(loss, { x: tensor(x), y: tensor(y) }, { gamma: 1e-4 }).loss as number;
    expect(Number.isFinite(soft)).toBe(true);
    expect(Math.abs(soft - dtw)).toBeLessThan(1e-4 * Math.log(3) * 7);
    // identical series with a tiny γ: the diagonal path costs 0
    const same = evaluate(loss, { x: tensor(x), y: tensor(x) }, { gamma: 1e-4 }, ['x']);
    expect(Math.abs(same.loss as number)).toBeLessThan(1e-3);
  });

  it('can be negative for a large γ', () => {
    const r = evaluate(loss, { x: f64([3], [0, 0.1, 0.2]), y: f64([3], [0, 0.1, 0.2]) }, { gamma: 10 });
    expect(r.loss as number).toBeLessThan(0);
  });

  it('treats (n,) as (n, 1), a batch as its pairs one by one, and reduces over the batch', () => {
    const x = [0.3, -1, 2, 0.5];
    const y = [1, 0.2, -0.4];
    const one = evaluate(loss, { x: f64([4], x), y: f64([3], y) }).loss as number;
    expect(evaluate(loss, { x: f64([4, 1], x), y: f64([3, 1], y) }).loss).toBe(one);
    const batch = { x: f64([2, 4, 1], [...x, ...x.map((v) => -v)]), y: f64([2, 3, 1], [...y, ...y]) };
    const other = evaluate(loss, {
      x: f64(
        [4],
        x.map((v) => -v),
      ),
      y: f64([3], y),
    }).loss as number;
    const none = evaluate(loss, batch, { reduction: 'none' });
    expect(none.lossShape).toEqual([2]);
    expect(Array.from(none.loss as Float64Array)).toEqual([one, other]);
    expectSumEqualsCountTimesMean(loss, batch, 2);
    expect(evaluate(loss, { x: f64([0, 4, 1], []), y: f64([0, 3, 1], []) }).loss).toBeNaN();
  });

  it('has gradients for x and y that match finite differences, under every reduction', () => {
    const args = {
      x: f64([2, 3, 2], [0.3, -1, 2, 0.5, -0.7, 1.1, 0.2, 0.4, -1.3, 0.8, 0.6, -0.2]),
      y: f64([2, 4, 2], [1, 0.2, -0.4, 0.9, 0.1, 0.3, -0.5, 1.2, 0.7, -0.8, 0.4, 0.5, -1, 0.25, 0.6, 0.35]),
    };
    expectGradientsMatchFiniteDifferences(loss, args, { gamma: 0.5 }, ['x', 'y']);
    expectGradientsMatchFiniteDifferences(loss, args, { gamma: 2, reduction: 'none' }, ['x', 'y'], {
      gamma: Float64Array.from([0.7, -1.5]),
    });
  });

  it('refuses ranks outside 1..3, mismatched y, empty sequences and γ <= 0', () => {
    expect(refusal(loss, { x: f64([], [1]), y: f64([], [1]) })?.paths).toEqual(['/x']);
    expect(refusal(loss, { x: f64([1, 1, 1, 1], [1]), y: f64([1, 1, 1, 1], [1]) })?.paths).toEqual(['/x']);
    expect(refusal(loss, { x: f64([2, 1], [1, 2]), y: f64([2], [1, 2]) })?.paths).toEqual(['/y']);
    expect(refusal(loss, { x: f64([2, 2], [1, 2, 3, 4]), y: f64([2, 1], [1, 2]) })?.paths).toEqual(['/y']);
    expect(refusal(loss, { x: f64([1, 2, 1], [1, 2]), y: f64([2, 2, 1], [1, 2, 3, 4]) })?.paths).toEqual(['/y']);
    expect(refusal(loss, { x: f64([0, 2], []), y: f64([2, 2], [1, 2, 3, 4]) })?.paths).toEqual(['/x']);
    expect(refusal(loss, { x: f64([2, 2], [1, 2, 3, 4]), y: f64([0, 2], []) })?.paths).toEqual(['/y']);
    expect(optionPaths(loss, { gamma: 0 })).toEqual(['/gamma']);
    expect(optionPaths(loss, { gamma: -1 })).toEqual(['/gamma']);
  });

  it('counts its work as the n × m table of every pair', () => {
    const o = loss.options.parse({});
    const small = loss.check(
      { x: f64([2, 10, 1], new Array(20).fill(0)), y: f64([2, 5, 1], new Array(10).fill(0)) },
      o,
    );
    if (!small.ok) throw new Error('refused');
    const w = loss.work?.({}, o, small.plan);
    expect(w?.steps).toBe(2 * 10 * 5 * 9);
    expect(w?.path).toBe('/x');
  });
});
