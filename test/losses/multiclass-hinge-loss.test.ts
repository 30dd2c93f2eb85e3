import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { multiclassHingeLoss } from '../../src/losses/multiclass-hinge-loss.js';
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

const loss: AnyLossDescriptor = multiclassHingeLoss;

/** Crammer–Singer by its definition: max(0, 1 + max_{j≠y} s_j - s_y). */
function crammerSinger(s: number[], y: number): number {
  let best = Number.NEGATIVE_INFINITY;
  s.forEach((v, j) => {
    if (j !== y) best = Math.max(best, v);
  });
  return Math.max(0, 1 + best - (s[y] as number));
}

const rows = scoredRows(2, 6, -3, 3, 5);

describe('multiclass_hinge_loss', () => {
  it('is max(0, 1 + max_{j≠y} s_j - s_y) for every row', () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const { scores, labels } = scoredRowTensors(rs);
        const got = evaluate(loss, { scores, labels }, { reduction: 'none' }).loss as Float64Array;
        rs.forEach((r, i) => {
          expect(got[i]).toBeCloseTo(crammerSinger(r[0], r[1]), 12);
        });
      }),
    );
  });

  it('is not multi_margin_loss: only the best wrong class counts, and nothing is divided by C', () => {
    const r = evaluate(loss, { scores: f64([4], [1, 0.5, 0.8, 0.9]), labels: i32([], [0]) });
    expect(r.loss).toBeCloseTo(0.9, 15);
  });

  it('sends +1 to the maximizing class and -1 to the label', () => {
    const r = evaluate(loss, { scores: f64([1, 3], [0.2, 1, -1]), labels: i32([1], [0]) }, { reduction: 'sum' }, [
      'scores',
    ]);
    expect(values(r.grads.scores as Float64Array)).toEqual([-1, 1, 0]);
  });

  it('shares the gradient equally among tied maxima, the label included', () => {
    // label exactly 1 above the best wrong class: s_y + 1 - 1 ties with s_1 + 1
    const margin = evaluate(loss, { scores: f64([1, 3], [2, 1, -5]), labels: i32([1], [0]) }, { reduction: 'sum' }, [
      'scores',
    ]);
    expect(margin.loss).toBe(0);
    expect(values(margin.grads.scores as Float64Array)).toEqual([-0.5, 0.5, 0]);
    const equal = evaluate(loss, { scores: f64([1, 3], [0.75, 0.75, 0.75]), labels: i32([1], [2]) }, {}, ['scores']);
    expect(equal.loss).toBe(1);
    expect(values(equal.grads.scores as Float64Array)).toEqual([0.5, 0.5, -1]);
  });

  it('is NaN when any score in the row is infinite (s_y is a dot product with the one-hot), with a finite gradient', () => {
    const r = evaluate(
      loss,
      { scores: f64([2, 3], [Number.NEGATIVE_INFINITY, -0.9, 2, 1.3, -2.2, -1.5]), labels: i32([2], [2, 1]) },
      { reduction: 'none' },
      ['scores'],
    );
    const l = r.loss as Float64Array;
    expect(l[0]).toBeNaN();
    expect(l[1]).toBeCloseTo(1 + 1.3 + 2.2, 14);
    expect(values(r.grads.scores as Float64Array)).toEqual([0, 0, 0, 1, -1, 0]);
  });

  it('gives a NaN row a NaN loss and an all-NaN gradient row', () => {
    const r = evaluate(
      loss,
      { scores: f64([2, 2], [Number.NaN, 1, 0, 3]), labels: i32([2], [0, 0]) },
      { reduction: 'none' },
      ['scores'],
    );
    expect((r.loss as Float64Array)[0]).toBeNaN();
    const g = r.grads.scores as Float64Array;
    expect(Number.isNaN(g[0]) && Number.isNaN(g[1])).toBe(true);
    expect(values(g.subarray(2))).toEqual([-1, 1]);
  });

  it('has the shape of scores without the class axis under "none", and mean = sum / rows', () => {
    const scores = f64([2, 2, 3], [0.1, 0.5, -0.2, 1, 2, 3, -1, 0, 1, 0.3, 0.3, 0.4]);
    const labels = i32([2, 2], [0, 2, 1, 2]);
    expect(evaluate(loss, { scores, labels }, { reduction: 'none' }).lossShape).toEqual([2, 2]);
    expectSumEqualsCountTimesMean(loss, { scores, labels }, 4);
    expect(evaluate(loss, { scores: f64([0, 3], []), labels: i32([0], []) }).loss).toBeNaN();
    expect(evaluate(loss, { scores: f64([0, 3], []), labels: i32([0], []) }, { reduction: 'sum' }).loss).toBe(0);
  });

  it('has gradients that match finite differences away from the kinks', () => {
    const scores = f64([3, 4], [0.3, -1.1, 0.9, 0.2, 2.5, -0.4, 0.1, 0.7, -0.6, 0.05, 1.4, -2]);
    const labels = i32([3], [0, 0, 2]);
    expectGradientsMatchFiniteDifferences(loss, { scores, labels }, {}, ['scores']);
    expectGradientsMatchFiniteDifferences(loss, { scores, labels }, { reduction: 'none' }, ['scores'], {
      gamma: Float64Array.from([0.5, -2, 3]),
    });
  });

  it('refuses 0-d scores, no classes, labels of another shape, and labels out of range at their pointer', () => {
    expect(refusal(loss, { scores: f64([], [1]), labels: i32([], [0]) })?.paths).toEqual(['/scores']);
    expect(refusal(loss, { scores: f64([2, 0], []), labels: i32([2], [0, 0]) })?.paths).toEqual(['/scores']);
    expect(
      refusal(loss, { scores: f64([2, 3], [1, 2, 3, 4, 5, 6]), labels: i32([2, 3], [0, 0, 0, 0, 0, 0]) }),
    ).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/labels'],
    });
    expect(
      refusal(loss, { scores: f64([2, 2, 3], new Array(12).fill(0)), labels: i32([2, 2], [0, 1, 2, 3]) }),
    ).toMatchObject({ code: 'LOSSD_INVALID_VALUE', paths: ['/labels/1/1'] });
    expect(refusal(loss, { scores: f64([1, 3], [0, 0, 0]), labels: i32([1], [-1]) })?.paths).toEqual(['/labels/0']);
  });
});
