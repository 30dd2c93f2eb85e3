import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tripletMarginLoss as loss } from '../../src/losses/triplet-margin-loss.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import {
  checkWith,
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  refusal,
  uniform,
  values,
} from '../helpers/kernel.js';
import { requestRefusal } from '../helpers/request.js';

const ALL = ['anchor', 'positive', 'negative'];

function expectClose(actual: FloatArray, expected: number[], digits = 12) {
  const a = values(actual);
  expect(a.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(a[i]).toBeCloseTo(expected[i] as number, digits);
}

const vectors = (n: number) => fc.array(uniform(-2, 2), { minLength: n, maxLength: n });
/** n offsets with magnitudes in [lo, hi] and random signs. */
const offsets = (n: number, lo: number, hi: number) =>
  fc.array(
    fc.tuple(uniform(lo, hi), fc.boolean()).map(([m, s]) => (s ? m : -m)),
    { minLength: n, maxLength: n },
  );
/**
 * anchor, positive = anchor + (0.1..1), negative = anchor + (1.2..2) componentwise: every
 * component of every difference is at least 0.1 away from 0 (the p = 1 and p < 1 kinks).
 */
const triplet = (n: number) =>
  fc.tuple(vectors(n), offsets(n, 0.1, 1), offsets(n, 1.2, 2)).map(([a, dp, dn]) => ({
    a,
    pos: a.map((v, i) => v + (dp[i] as number)),
    neg: a.map((v, i) => v + (dn[i] as number)),
  }));

/** p-norm of a - b + eps, row by row (rows of length D). */
function distances(a: number[], b: number[], D: number, p: number, eps: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < a.length; o += D) {
    let s = 0;
    for (let i = o; i < o + D; i++) s += Math.abs((a[i] as number) - (b[i] as number) + eps) ** p;
    out.push(s ** (1 / p));
  }
  return out;
}

describe('triplet_margin_loss', () => {
  it('is max(0, margin + ‖a − p‖ − ‖a − n‖) with Euclidean distances by default', () => {
    // d(a, p) = 5, d(a, n) = 3 (eps = 0): L = 1 + 5 − 3
    const args = { anchor: f64([2], [0, 0]), positive: f64([2], [3, 4]), negative: f64([2], [0, 3]) };
    const r = evaluate(loss, args, { eps: 0 }, ALL);
    expect(r.lossShape).toEqual([]);
    expect(r.loss).toBe(3);
    // ∇‖v‖ = v/‖v‖: anchor gets (a − p)/5 − (a − n)/3
    expectClose(r.grads.anchor as FloatArray, [-0.6, 0.2]);
    expectClose(r.grads.positive as FloatArray, [0.6, 0.8]);
    expectClose(r.grads.negative as FloatArray, [0, -1]);
    expect(evaluate(loss, args, { eps: 0, margin: -3 }).loss).toBe(0);
  });

  it('adds eps to every component of the difference, not to the norm', () => {
    // identical triplets: every distance is |eps|·sqrt(D) = 2e-6 for D = 4, so L = margin
    const v = f64([4], [0.3, -1, 2, 0]);
    const r = evaluate(loss, { anchor: v, positive: v, negative: v }, { margin: 0.25 });
    expect(r.loss).toBeCloseTo(0.25, 15);
    const big = evaluate(loss, { anchor: v, positive: v, negative: f64([4], [0.3, -1, 2, 1]) }, { eps: 1, margin: 0 });
    // d(a, p) = sqrt(4·1) = 2, d(a, n) = sqrt(3·1 + 0²) = sqrt(3)
    expect(big.loss).toBeCloseTo(2 - Math.sqrt(3), 15);
  });

  it('uses the p-norm for p = 1, with gradient sgn(v) and 0 for a zero component', () => {
    // v_ap = (−1, 2) → 3, v_an = (−3, 0) → 3; L = margin = 1
    const r = evaluate(
      loss,
      { anchor: f64([2], [0, 0]), positive: f64([2], [1, -2]), negative: f64([2], [3, 0]) },
      { p: 1, eps: 0 },
      ALL,
    );
    expect(r.loss).toBe(1);
    expect(values(r.grads.anchor as FloatArray)).toEqual([0, 1]);
    expect(values(r.grads.positive as FloatArray)).toEqual([1, -1]);
    expect(values(r.grads.negative as FloatArray)).toEqual([-1, 0]);
  });

  it('uses (Σ|v|^p)^(1/p) for other orders', () => {
    const args = { anchor: f64([2], [0, 0]), positive: f64([2], [1, 1]), negative: f64([2], [2, 2]) };
    // d(a, p) = 2^(1/3), d(a, n) = 2·2^(1/3)
    expect(evaluate(loss, args, { p: 3, eps: 0, margin: 2 }).loss).toBeCloseTo(2 - 2 ** (1 / 3), 14);
    // p = 0.5: (1 + 1)^2 = 4 and (√2 + √2)^2 = 8
    expect(evaluate(loss, args, { p: 0.5, eps: 0, margin: 5 }).loss).toBeCloseTo(1, 13);
  });

  it('counts the non-zero components for p = 0, and then refuses every gradient', () => {
    const args = { anchor: f64([3], [0, 0, 0]), positive: f64([3], [0, 1, 0]), negative: f64([3], [0, 0, 0]) };
    expect(evaluate(loss, args, { p: 0, eps: 0 }).loss).toBe(2);
    const checked = checkWith(loss, args, { p: 0 });
    expect(checked.ok && Object.keys(checked.notDifferentiable ?? {})).toEqual(ALL);
    const out = requestRefusal(loss, { anchor: [0, 0], positive: [0, 1], negative: [1, 0], p: 0 });
    expect(out?.code).toBe('LOSSD_GRADIENT_UNAVAILABLE');
    expect(out?.paths[0]).toBe('/grad_wrt/0');
    const lossOnly = requestRefusal(loss, { anchor: [0, 0], positive: [0, 1], negative: [1, 0], p: 0, grad_wrt: [] });
    expect(lossOnly).toBeNull();
  });

  it('passes the gradient at the kink margin + d(a, p) − d(a, n) = 0', () => {
    const r = evaluate(
      loss,
      { anchor: f64([2], [0, 0]), positive: f64([2], [3, 4]), negative: f64([2], [0, 3]) },
      { eps: 0, margin: -2 },
      ['positive'],
    );
    expect(r.loss).toBe(0);
    expectClose(r.grads.positive as FloatArray, [0.6, 0.8]);
  });

  it('with swap, takes the smaller of d(a, n) and d(p, n) and sends the gradient to it', () => {
    // d(a, n) = 4, d(p, n) = 1: the positive–negative distance is used
    const args = { anchor: f64([1], [0]), positive: f64([1], [3]), negative: f64([1], [4]) };
    const r = evaluate(loss, args, { eps: 0, swap: true, margin: 0 }, ALL);
    expect(r.loss).toBe(2); // 0 + 3 − 1
    expect(values(r.grads.anchor as FloatArray)).toEqual([-1]); // only d(a, p) reaches the anchor
    expect(values(r.grads.positive as FloatArray)).toEqual([2]); // −∇d(a, p) − ∇d(p, n) = 1 + 1
    expect(values(r.grads.negative as FloatArray)).toEqual([-1]);
  });

  it('with swap, splits the gradient half and half on a tie', () => {
    // identical triplets: all three differences are (eps, eps), ∇ = (1, 1)/√2
    const v = f64([2], [0.5, -0.5]);
    const k = Math.SQRT1_2;
    const swapped = evaluate(loss, { anchor: v, positive: v, negative: v }, { swap: true }, ALL);
    expectClose(swapped.grads.anchor as FloatArray, [k / 2, k / 2]);
    expectClose(swapped.grads.positive as FloatArray, [-1.5 * k, -1.5 * k]);
    expectClose(swapped.grads.negative as FloatArray, [k, k]);
    const plain = evaluate(loss, { anchor: v, positive: v, negative: v }, {}, ALL);
    expectClose(plain.grads.anchor as FloatArray, [0, 0]);
    expectClose(plain.grads.negative as FloatArray, [k, k]);
  });

  it('gives a NaN loss for a NaN component, with zero gradients for p = 1 and NaN gradients otherwise', () => {
    const args = {
      anchor: f64([1, 2], [Number.NaN, 0]),
      positive: f64([1, 2], [1, 1]),
      negative: f64([1, 2], [2, 2]),
    };
    const p1 = evaluate(loss, args, { p: 1, reduction: 'none' }, ALL);
    expect(values(p1.loss as FloatArray)[0]).toBeNaN();
    expect(values(p1.grads.anchor as FloatArray)).toEqual([0, 0]);
    expect(values(p1.grads.negative as FloatArray)).toEqual([0, 0]);
    const p2 = evaluate(loss, args, { reduction: 'none' }, ALL);
    for (const v of values(p2.grads.anchor as FloatArray)) expect(v).toBeNaN();
  });

  it('gives one loss per row for (N, D) and per position for (N, M, D)', () => {
    const z = (shape: number[]) => f64(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(0));
    expect(
      evaluate(loss, { anchor: z([3, 2]), positive: z([3, 2]), negative: z([3, 2]) }, { reduction: 'none' }).lossShape,
    ).toEqual([3]);
    expect(
      evaluate(loss, { anchor: z([2, 3, 4]), positive: z([2, 3, 4]), negative: z([2, 3, 4]) }, { reduction: 'none' })
        .lossShape,
    ).toEqual([2, 3]);
  });

  it('treats 0-d inputs as one-element vectors', () => {
    const r = evaluate(
      loss,
      { anchor: f64([], [0]), positive: f64([], [2]), negative: f64([], [-5]) },
      { eps: 0, reduction: 'none' },
      ALL,
    );
    expect(r.lossShape).toEqual([]);
    expect(values(r.loss as FloatArray)).toEqual([0]); // 1 + 2 − 5 < 0
    expect(values(r.grads.anchor as FloatArray)).toEqual([0]);
  });

  it('broadcasts a (1, D) positive over the rows and sums its gradient', () => {
    const anchor = f64([2, 2], [0, 0, 1, 1]);
    const negative = f64([2, 2], [5, 5, -4, 3]);
    const row = [0.5, -2];
    const broadcast = evaluate(loss, { anchor, positive: f64([1, 2], row), negative }, { margin: 3 }, ALL);
    const repeated = evaluate(loss, { anchor, positive: f64([2, 2], [...row, ...row]), negative }, { margin: 3 }, ALL);
    expect(broadcast.loss).toBe(repeated.loss);
    const g = values(repeated.grads.positive as FloatArray);
    expectClose(
      broadcast.grads.positive as FloatArray,
      [(g[0] as number) + (g[2] as number), (g[1] as number) + (g[3] as number)],
      14,
    );
    expect(values(broadcast.grads.anchor as FloatArray)).toEqual(values(repeated.grads.anchor as FloatArray));
  });

  it('returns NaN for the mean and 0 for the sum of an empty batch', () => {
    const e = f64([0, 3], []);
    expect(evaluate(loss, { anchor: e, positive: e, negative: e }).loss).toBeNaN();
    expect(evaluate(loss, { anchor: e, positive: e, negative: e }, { reduction: 'sum' }).loss).toBe(0);
  });

  it('refuses inputs of different ranks, naming them', () => {
    const bad = refusal(loss, {
      anchor: f64([1, 2], [1, 2]),
      positive: f64([2], [1, 2]),
      negative: f64([1, 2], [1, 2]),
    });
    expect(bad).toMatchObject({ code: 'LOSSD_SHAPE_MISMATCH', paths: ['/positive'] });
    expect(bad?.messages[0]).toMatch(/triplet_margin_loss.*2D, 1D and 2D/);
    expect(
      refusal(loss, { anchor: f64([2], [1, 2]), positive: f64([2], [1, 2]), negative: f64([1, 2], [1, 2]) }),
    ).toMatchObject({ paths: ['/negative'] });
  });

  it('refuses shapes that do not broadcast', () => {
    const a = f64([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(refusal(loss, { anchor: a, positive: f64([3, 3], new Array(9).fill(0)), negative: a })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/positive'],
    });
    expect(refusal(loss, { anchor: a, positive: a, negative: f64([2, 4], new Array(8).fill(0)) })).toMatchObject({
      paths: ['/negative'],
    });
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 4 })
          .chain((N) => fc.tuple(fc.constant(N), vectors(N * 3), vectors(N * 3), vectors(N * 3))),
        ([N, a, p, n]) => {
          const args = { anchor: f64([N, 3], a), positive: f64([N, 3], p), negative: f64([N, 3], n) };
          expectSumEqualsCountTimesMean(loss, args, N, { swap: true });
        },
      ),
    );
  });

  it('has anchor, positive and negative gradients that agree with central finite differences away from kinks', () => {
    fc.assert(
      fc.property(
        triplet(6),
        fc.constantFrom(1, 1.5, 2, 3, 0.7),
        fc.boolean(),
        uniform(-1, 2),
        fc.constantFrom('mean', 'sum', 'none'),
        ({ a, pos, neg }, p, swap, margin, reduction) => {
          const eps = 1e-6;
          const dp = distances(a, pos, 3, p, eps);
          const dn = distances(a, neg, 3, p, eps);
          const ds = distances(pos, neg, 3, p, eps);
          for (let r = 0; r < 2; r++) {
            const dneg = swap ? Math.min(dn[r] as number, ds[r] as number) : (dn[r] as number);
            fc.pre(Math.abs(margin + (dp[r] as number) - dneg) > 1e-3);
            if (swap) fc.pre(Math.abs((dn[r] as number) - (ds[r] as number)) > 1e-3);
          }
          const args = { anchor: f64([2, 3], a), positive: f64([2, 3], pos), negative: f64([2, 3], neg) };
          const gamma = reduction === 'none' ? Float64Array.from([0.5, -2]) : null;
          expectGradientsMatchFiniteDifferences(loss, args, { reduction, p, swap, margin, eps }, ALL, { gamma });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('has gradients that agree with finite differences when the inputs broadcast', () => {
    fc.assert(
      fc.property(vectors(2), vectors(6), vectors(3), fc.constantFrom(1.5, 2), (a, pos, neg, p) => {
        // anchor (2, 1) broadcasts along D, negative (1, 3) along the rows; keep every difference
        // component away from 0, where |v|^1.5 is not smooth enough for finite differences
        fc.pre(pos.every((v, i) => Math.abs((a[Math.floor(i / 3)] as number) - v) > 0.05));
        fc.pre(a.every((u) => neg.every((v) => Math.abs(u - v) > 0.05)));
        const args = { anchor: f64([2, 1], a), positive: f64([2, 3], pos), negative: f64([1, 3], neg) };
        expectGradientsMatchFiniteDifferences(loss, args, { p, margin: 10 }, ALL);
      }),
      { numRuns: 40 },
    );
  });
});
