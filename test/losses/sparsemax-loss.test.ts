import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sparsemaxLoss } from '../../src/losses/sparsemax-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  i32,
  refusal,
  scoredRows,
  scoredRowTensors,
  values,
} from '../helpers/kernel.js';

const loss: AnyLossDescriptor = sparsemaxLoss;

/** The projection onto the simplex by bisection on τ (Σ max(z - τ, 0) = 1): no sort involved. */
function bisectSparsemax(z: number[]): { p: number[]; tau: number } {
  let lo = Math.min(...z) - 1;
  let hi = Math.max(...z);
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    const mass = z.reduce((s, v) => s + Math.max(v - mid, 0), 0);
    if (mass > 1) lo = mid;
    else hi = mid;
  }
  const tau = (lo + hi) / 2;
  return { p: z.map((v) => Math.max(v - tau, 0)), tau };
}

/** Martins & Astudillo's closed form: -z_y + ½ Σ_{j∈S} (z_j² - τ²) + ½. */
function closedForm(z: number[], y: number): number {
  const { p, tau } = bisectSparsemax(z);
  let s = 0;
  z.forEach((v, j) => {
    if ((p[j] as number) > 0) s += v * v - tau * tau;
  });
  return -(z[y] as number) + s / 2 + 0.5;
}

/** optax's binary sparsemax_loss: sparse_plus(label ? -x : x). */
function binarySparsemaxLoss(x: number, label: number): number {
  const v = label ? -x : x;
  return v <= -1 ? 0 : v >= 1 ? v : (v + 1) ** 2 / 4;
}

const rows = scoredRows(1, 7, -2, 2, 4);

describe('sparsemax_loss', () => {
  it('is the Fenchel–Young loss of the simplex projection (checked against bisection and the closed form)', () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const { scores, labels } = scoredRowTensors(rs);
        const r = evaluate(loss, { scores, labels }, { reduction: 'none' }, ['scores'], {
          gamma: new Float64Array(rs.length).fill(1),
        });
        const g = r.grads.scores as Float64Array;
        rs.forEach(([z, y], i) => {
          expect((r.loss as Float64Array)[i]).toBeCloseTo(closedForm(z, y), 9);
          // the gradient is p - onehot(y)
          const { p } = bisectSparsemax(z);
          p.forEach((pj, j) => {
            expect(g[i * z.length + j]).toBeCloseTo(pj - (j === y ? 1 : 0), 9);
          });
        });
      }),
    );
  });

  it('on the scores [0, x] is optax binary sparsemax_loss(x, label)', () => {
    for (const x of [-2.5, -1, -0.3, 0, 0.6, 1, 3.2]) {
      for (const label of [0, 1]) {
        const r = evaluate(loss, { scores: f64([2], [0, x]), labels: i32([], [label]) });
        expect(r.loss).toBeCloseTo(binarySparsemaxLoss(x, label), 14);
      }
    }
  });

  it('is 0 with zero gradient when the projection is the label one-hot', () => {
    const r = evaluate(loss, { scores: f64([3], [2, 0, -1]), labels: i32([], [0]) }, {}, ['scores']);
    expect(r.loss).toBe(0);
    expect(values(r.grads.scores as Float64Array)).toEqual([0, 0, 0]);
  });

  it('leaves an entry exactly at the threshold out of the support', () => {
    // z = [1, 0, -3]: τ = 0, so entry 1 sits at the threshold with p = 0
    const r = evaluate(loss, { scores: f64([3], [1, 0, -3]), labels: i32([], [1]) }, {}, ['scores']);
    expect(r.loss).toBe(1);
    expect(values(r.grads.scores as Float64Array)).toEqual([1, -1, 0]);
  });

  it('keeps a -inf score in another class out of the loss (finite, gradient 0 there)', () => {
    const r = evaluate(loss, { scores: f64([3], [0.5, Number.NEGATIVE_INFINITY, 0.2]), labels: i32([], [2]) }, {}, [
      'scores',
    ]);
    // the same as if the class were not there at all
    expect(r.loss).toBeCloseTo(closedForm([0.5, 0.2], 1), 12);
    expect((r.grads.scores as Float64Array)[1]).toBe(0);
  });

  it('reduces like multiclass_hinge_loss: "none" keeps the leading shape, mean = sum / rows', () => {
    const scores = f64([2, 1, 3], [0.1, 0.5, -0.2, 1, 2, 3]);
    const labels = i32([2, 1], [0, 2]);
    expect(evaluate(loss, { scores, labels }, { reduction: 'none' }).lossShape).toEqual([2, 1]);
    expectSumEqualsCountTimesMean(loss, { scores, labels }, 2);
  });

  it('has gradients that match finite differences', () => {
    const scores = f64([2, 5], [0.3, -1.1, 0.9, 0.2, 0.5, -0.4, 0.1, 0.7, -0.6, 0.05]);
    expectGradientsMatchFiniteDifferences(loss, { scores, labels: i32([2], [1, 4]) }, {}, ['scores']);
  });

  it('refuses what multiclass_hinge_loss refuses', () => {
    expect(refusal(loss, { scores: f64([], [1]), labels: i32([], [0]) })?.paths).toEqual(['/scores']);
    expect(refusal(loss, { scores: f64([2, 0], []), labels: i32([2], [0, 0]) })?.paths).toEqual(['/scores']);
    expect(refusal(loss, { scores: f64([2, 3], new Array(6).fill(0)), labels: i32([3], [0, 0, 0]) })?.paths).toEqual([
      '/labels',
    ]);
    expect(refusal(loss, { scores: f64([2, 3], new Array(6).fill(0)), labels: i32([2], [0, 3]) })?.paths).toEqual([
      '/labels/1',
    ]);
  });
});
