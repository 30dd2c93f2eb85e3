import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sinkhornLoss } from '../../src/losses/sinkhorn-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  f64,
  optionPaths,
  refusal,
  uniform,
  values,
} from '../helpers/kernel.js';

const loss: AnyLossDescriptor = sinkhornLoss;

/**
 * The classic exp-domain Sinkhorn–Knopp with the same iteration order (v first, from u = 1):
 * K = exp(-M / reg), v = b / Kᵀu, u = a / Kv, T = diag(u) K diag(v), loss = <T, M>.
 */
function expDomain(
  M: number[][],
  a: number[],
  b: number[],
  reg: number,
  iters: number,
): { loss: number; T: number[][] } {
  const n = a.length;
  const m = b.length;
  const K = M.map((row) => row.map((c) => Math.exp(-c / reg)));
  let u = new Array<number>(n).fill(1);
  let v = new Array<number>(m).fill(1);
  for (let t = 0; t < iters; t++) {
    v = b.map((bj, j) => bj / K.reduce((s, row, i) => s + row[j]! * u[i]!, 0));
    u = a.map((ai, i) => ai / K[i]!.reduce((s, kij, j) => s + kij * v[j]!, 0));
  }
  const T = K.map((row, i) => row.map((kij, j) => u[i]! * kij * v[j]!));
  let l = 0;
  T.forEach((row, i) => {
    row.forEach((tij, j) => {
      l += tij * M[i]![j]!;
    });
  });
  return { loss: l, T };
}

const normalized = (w: number[]) => {
  const s = w.reduce((p, q) => p + q, 0);
  return w.map((v) => v / s);
};

const problems = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
  .chain(([n, m]) =>
    fc.tuple(
      fc.array(fc.array(uniform(0, 2), { minLength: m, maxLength: m }), { minLength: n, maxLength: n }),
      fc.array(uniform(0.05, 1), { minLength: n, maxLength: n }),
      fc.array(uniform(0.05, 1), { minLength: m, maxLength: m }),
      uniform(0.2, 2),
      fc.integer({ min: 1, max: 40 }),
    ),
  );

describe('sinkhorn_loss', () => {
  it('is the transport cost of the plain exp-domain Sinkhorn after the same number of iterations', () => {
    fc.assert(
      fc.property(problems, ([M, a0, b0, reg, iters]) => {
        const a = normalized(a0);
        const b = normalized(b0);
        const n = a.length;
        const m = b.length;
        const r = evaluate(
          loss,
          { M: f64([n, m], M.flat()), a: f64([n], a), b: f64([m], b) },
          { reg, numItermax: iters },
        );
        const want = expDomain(M, a, b, reg, iters).loss;
        expect(Math.abs((r.loss as number) - want)).toBeLessThanOrEqual(1e-11 * Math.max(1, Math.abs(want)));
      }),
    );
  });

  it('stays finite in the log domain where the exp domain underflows (small reg)', () => {
    // every exp(-M / reg) is exp(-1000) or smaller: 0 in the exp domain
    const M = [
      [1, 2, 5],
      [2, 1, 2],
      [5, 2, 1],
    ];
    const r = evaluate(loss, { M: f64([3, 3], M.flat()) }, { reg: 0.001, numItermax: 500 }, ['M']);
    // the plan is the diagonal, 1/3 each, at cost 1
    expect(r.loss).toBeCloseTo(1, 12);
    expect(values(r.grads.M as Float64Array).every(Number.isFinite)).toBe(true);
    expect(Number.isNaN(expDomain(M, [1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3], 0.001, 500).loss)).toBe(true);
  });

  it('defaults a and b to uniform weights', () => {
    const M = f64([2, 3], [0.3, 1, 0.2, 0.7, 0.1, 0.9]);
    const explicit = evaluate(loss, { M, a: f64([2], [0.5, 0.5]), b: f64([3], [1 / 3, 1 / 3, 1 / 3]) });
    expect(evaluate(loss, { M }).loss).toBe(explicit.loss);
  });

  it('solves the columns of a (m, k) b separately: shape (k,) under "none"', () => {
    const M = f64([2, 3], [0.3, 1, 0.2, 0.7, 0.1, 0.9]);
    const b1 = [0.2, 0.3, 0.5];
    const b2 = [0.6, 0.1, 0.3];
    const b = f64([3, 2], [b1[0]!, b2[0]!, b1[1]!, b2[1]!, b1[2]!, b2[2]!]);
    const none = evaluate(loss, { M, b }, { reduction: 'none' });
    expect(none.lossShape).toEqual([2]);
    expect(values(none.loss as Float64Array)).toEqual([
      evaluate(loss, { M, b: f64([3], b1) }).loss,
      evaluate(loss, { M, b: f64([3], b2) }).loss,
    ]);
    const mean = evaluate(loss, { M, b }).loss as number;
    expect(mean).toBeCloseTo(((none.loss as Float64Array)[0]! + (none.loss as Float64Array)[1]!) / 2, 15);
  });

  it('differentiates through every iteration (finite differences for M, a, b), not the envelope shortcut', () => {
    const args = {
      M: f64([3, 4], [0.3, 1, 0.2, 0.5, 0.7, 0.1, 0.9, 0.4, 0.6, 0.8, 0.05, 0.35]),
      a: f64([3], [0.2, 0.5, 0.3]),
      b: f64([4], [0.1, 0.4, 0.3, 0.2]),
    };
    for (const numItermax of [1, 3, 25]) {
      expectGradientsMatchFiniteDifferences(loss, args, { reg: 0.3, numItermax }, ['M', 'a', 'b'], { tol: 1e-6 });
    }
    // after one iteration the plan is far from converged: ∂/∂M is not the plan T itself
    const r = evaluate(loss, args, { reg: 0.3, numItermax: 1 }, ['M']);
    const { T } = expDomain(
      [
        [0.3, 1, 0.2, 0.5],
        [0.7, 0.1, 0.9, 0.4],
        [0.6, 0.8, 0.05, 0.35],
      ],
      [0.2, 0.5, 0.3],
      [0.1, 0.4, 0.3, 0.2],
      0.3,
      1,
    );
    const gap = Math.max(...T.flat().map((t, q) => Math.abs(t - (r.grads.M as Float64Array)[q]!)));
    expect(gap).toBeGreaterThan(1e-3);
  });

  it('has finite differences for a (m, k) b and a "none" upstream gradient', () => {
    const args = {
      M: f64([2, 3], [0.3, 1, 0.2, 0.7, 0.1, 0.9]),
      b: f64([3, 2], [0.2, 0.6, 0.3, 0.1, 0.5, 0.3]),
    };
    expectGradientsMatchFiniteDifferences(loss, args, { reg: 0.5, numItermax: 7, reduction: 'none' }, ['M', 'b'], {
      gamma: Float64Array.from([1.5, -0.5]),
      tol: 1e-6,
    });
  });

  it('lets a zero weight through: its row of the plan is 0 and its own gradient NaN', () => {
    const args = { M: f64([2, 2], [0.1, 0.9, 0.4, 0.2]), a: f64([2], [0, 1]), b: f64([2], [0.5, 0.5]) };
    const r = evaluate(loss, args, { numItermax: 20 }, ['a', 'b']);
    // all mass leaves row 1: half of it to each column
    expect(r.loss).toBeCloseTo(0.5 * 0.4 + 0.5 * 0.2, 12);
    const ga = r.grads.a as Float64Array;
    expect(ga[0]).toBeNaN();
    expect(Number.isFinite(ga[1])).toBe(true);
  });

  it('is NaN for an infinite cost (inf · 0 in <T, M>), as POT', () => {
    const r = evaluate(loss, { M: f64([2, 2], [Number.POSITIVE_INFINITY, 0.5, 0.3, 0.2]) }, {}, ['M']);
    expect(r.loss).toBeNaN();
  });

  it('refuses a cost matrix that is not 2-d or is empty, weights of the wrong shape, negative or non-finite', () => {
    expect(refusal(loss, { M: f64([3], [1, 2, 3]) })?.paths).toEqual(['/M']);
    expect(refusal(loss, { M: f64([0, 3], []) })?.paths).toEqual(['/M']);
    const M = f64([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(refusal(loss, { M, a: f64([3], [1, 1, 1]) })?.paths).toEqual(['/a']);
    expect(refusal(loss, { M, b: f64([2], [1, 1]) })?.paths).toEqual(['/b']);
    expect(refusal(loss, { M, b: f64([3, 1, 1], [1, 1, 1]) })?.paths).toEqual(['/b']);
    expect(refusal(loss, { M, a: f64([2], [0.5, -0.1]) })).toMatchObject({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/a/1'],
    });
    expect(refusal(loss, { M, b: f64([3, 2], [1, 1, 1, Number.POSITIVE_INFINITY, 1, 1]) })?.paths).toEqual(['/b/1/1']);
    expect(refusal(loss, { M, a: f64([2], [Number.NaN, 1]) })?.paths).toEqual(['/a/0']);
  });

  it('takes reg > 0 and an integer numItermax in [1, 10000]', () => {
    expect(optionPaths(loss, { reg: 0 })).toEqual(['/reg']);
    expect(optionPaths(loss, { numItermax: 0 })).toEqual(['/numItermax']);
    expect(optionPaths(loss, { numItermax: 10001 })).toEqual(['/numItermax']);
    expect(optionPaths(loss, { numItermax: 2.5 })).toEqual(['/numItermax']);
    expect(optionPaths(loss, { reg: 1e-9, numItermax: 10000 })).toEqual([]);
  });

  it('counts its work as iterations × n × m for every target histogram', () => {
    const o = loss.options.parse({ numItermax: 50 });
    const c = loss.check({ M: f64([10, 20], new Array(200).fill(0)), b: f64([20, 3], new Array(60).fill(1)) }, o);
    if (!c.ok) throw new Error('refused');
    const w = loss.work?.({}, o, c.plan);
    expect(w).toEqual({ steps: 3 * 50 * (6 * 200 + 16 * 30), path: '/numItermax' });
  });
});
