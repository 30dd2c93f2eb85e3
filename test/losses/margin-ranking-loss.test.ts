import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { marginRankingLoss } from '../../src/losses/margin-ranking-loss.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import {
  columnArgs,
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  refusal,
  values,
} from '../helpers/kernel.js';

const ALL = ['input1', 'input2', 'target'];

const score = fc.double({ min: -5, max: 5, noNaN: true });
const sign = fc.constantFrom(1, -1, 0.5, -2);

describe('margin_ranking_loss', () => {
  it('is max(0, −y·(x1 − x2) + margin), averaged by default', () => {
    // pair 0 is in the wrong order (v = 1), pair 1 in the right order (v = -1)
    const r = evaluate(
      marginRankingLoss,
      { input1: f64([2], [1, 2]), input2: f64([2], [2, 1]), target: f64([2], [1, 1]) },
      {},
      ALL,
    );
    expect(r.loss).toBe(0.5);
    expect(values(r.grads.input1 as FloatArray)).toEqual([-0.5, 0]);
    expect(values(r.grads.input2 as FloatArray)).toEqual([0.5, 0]);
    // -(G·(x1 - x2)) = -(0.5·(-1))
    expect(values(r.grads.target as FloatArray)).toEqual([0.5, 0]);
  });

  it('adds the margin, which may be negative', () => {
    const args = { input1: f64([1], [3]), input2: f64([1], [1]), target: f64([1], [1]) };
    expect(evaluate(marginRankingLoss, args, { margin: 2.5 }).loss).toBe(0.5);
    expect(evaluate(marginRankingLoss, args, { margin: -0.25 }).loss).toBe(0);
    expect(evaluate(marginRankingLoss, { ...args, target: f64([1], [-1]) }, { margin: -0.25 }).loss).toBe(1.75);
  });

  it('uses a target that is not ±1 as given', () => {
    // v = -0.5·(1 - 3) = 1
    const r = evaluate(
      marginRankingLoss,
      { input1: f64([1], [1]), input2: f64([1], [3]), target: f64([1], [0.5]) },
      { reduction: 'sum' },
      ALL,
    );
    expect(r.loss).toBe(1);
    expect(values(r.grads.input1 as FloatArray)).toEqual([-0.5]);
    expect(values(r.grads.target as FloatArray)).toEqual([2]);
  });

  it('passes the gradient at the kink v = 0', () => {
    const r = evaluate(
      marginRankingLoss,
      { input1: f64([1], [2]), input2: f64([1], [2]), target: f64([1], [1]) },
      { reduction: 'sum' },
      ALL,
    );
    expect(r.loss).toBe(0);
    expect(values(r.grads.input1 as FloatArray)).toEqual([-1]);
    expect(values(r.grads.input2 as FloatArray)).toEqual([1]);
  });

  it('keeps a NaN score in the loss, zeroes the score gradients, and gives the target 0·NaN = NaN', () => {
    const r = evaluate(
      marginRankingLoss,
      { input1: f64([2], [Number.NaN, 0]), input2: f64([2], [0, 1]), target: f64([2], [1, 1]) },
      { reduction: 'none' },
      ALL,
    );
    expect(values(r.loss as FloatArray)).toEqual([Number.NaN, 1]);
    expect(values(r.grads.input1 as FloatArray)).toEqual([0, -1]);
    expect(values(r.grads.input2 as FloatArray)).toEqual([0, 1]);
    expect(values(r.grads.target as FloatArray)).toEqual([Number.NaN, 1]);
  });

  it('gives NaN score gradients for a NaN target (the zero mask times -y = NaN)', () => {
    const r = evaluate(
      marginRankingLoss,
      { input1: f64([1], [1]), input2: f64([1], [0]), target: f64([1], [Number.NaN]) },
      { reduction: 'sum' },
      ALL,
    );
    expect(r.loss).toBeNaN();
    expect(values(r.grads.input1 as FloatArray)).toEqual([Number.NaN]);
    expect(values(r.grads.input2 as FloatArray)).toEqual([Number.NaN]);
    // -(0 · (x1 - x2)) with finite scores
    expect(values(r.grads.target as FloatArray)).toEqual([0]);
  });

  it('selects the incoming gradient where v >= 0, so an infinite grad_output does not reach a closed hinge', () => {
    const r = evaluate(
      marginRankingLoss,
      { input1: f64([2], [1, 0]), input2: f64([2], [0, 1]), target: f64([2], [1, 1]) },
      { reduction: 'none' },
      ['input1'],
      { gamma: Float64Array.from([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]) },
    );
    // pair 0 has v = -1 (closed): 0, not inf·0; pair 1 has v = 1: inf·(-1)
    expect(values(r.grads.input1 as FloatArray)).toEqual([0, Number.NEGATIVE_INFINITY]);
  });

  it('broadcasts three tensors of the same rank and sums each gradient back', () => {
    const r = evaluate(
      marginRankingLoss,
      { input1: f64([3], [0, 1, 2]), input2: f64([1], [1]), target: f64([3], [1, 1, 1]) },
      { reduction: 'sum' },
      ALL,
    );
    // v = 1 - x1 = [1, 0, -1] → L = [1, 0, 0]; the masks are [1, 1, 0]
    expect(r.loss).toBe(1);
    expect(values(r.grads.input1 as FloatArray)).toEqual([-1, -1, 0]);
    expect(values(r.grads.input2 as FloatArray)).toEqual([2]);
    expect(values(r.grads.target as FloatArray)).toEqual([1, 0, 0]);
  });

  it('refuses tensors of different ranks even when they would broadcast', () => {
    const x = f64([2], [1, 2]);
    expect(refusal(marginRankingLoss, { input1: x, input2: x, target: f64([], [1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
    expect(refusal(marginRankingLoss, { input1: x, input2: f64([1, 2], [1, 2]), target: x })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input2'],
    });
  });

  it('refuses same-rank shapes that do not broadcast', () => {
    const x = f64([2], [1, 2]);
    expect(refusal(marginRankingLoss, { input1: x, input2: x, target: f64([3], [1, 1, 1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
    expect(refusal(marginRankingLoss, { input1: x, input2: f64([3], [1, 1, 1]), target: x })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input2'],
    });
  });

  it('returns NaN for an empty mean and 0 for an empty sum', () => {
    const e = f64([0], []);
    const args = { input1: e, input2: e, target: e };
    expect(evaluate(marginRankingLoss, args).loss).toBeNaN();
    expect(evaluate(marginRankingLoss, args, { reduction: 'sum' }).loss).toBe(0);
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(score, score, sign), { minLength: 1, maxLength: 20 }), score, (rows, margin) => {
        expectSumEqualsCountTimesMean(marginRankingLoss, columnArgs(rows, ALL), rows.length, { margin });
      }),
    );
  });

  it('has gradients for all three arguments that agree with central finite differences away from the kink', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(score, score, sign), { minLength: 1, maxLength: 6 }),
        score,
        fc.constantFrom('mean', 'sum', 'none'),
        (rows, margin, reduction) => {
          // stay away from v = 0, where the hinge has its kink
          fc.pre(rows.every(([a, b, y]) => Math.abs(-y * (a - b) + margin) > 1e-3));
          const gamma = reduction === 'none' ? Float64Array.from(rows, (_, i) => 0.5 + i) : null;
          const args = columnArgs(rows, ALL);
          expectGradientsMatchFiniteDifferences(marginRankingLoss, args, { reduction, margin }, ALL, { gamma });
        },
      ),
      { numRuns: 60 },
    );
  });
});
