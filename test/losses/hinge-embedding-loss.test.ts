import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hingeEmbeddingLoss } from '../../src/losses/hinge-embedding-loss.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  pairArgs,
  refusal,
  values,
} from '../helpers/kernel.js';
import { requestRefusal } from '../helpers/request.js';

const distance = fc.double({ min: -3, max: 5, noNaN: true });
const label = fc.constantFrom(1, -1, 0, 2);

describe('hinge_embedding_loss', () => {
  it('is x for y = 1, max(0, margin − x) for y = −1, and both terms for any other y', () => {
    const r = evaluate(
      hingeEmbeddingLoss,
      { input: f64([4], [0.25, 0.25, 0.25, 2]), target: f64([4], [1, -1, 0, -1]) },
      { reduction: 'none' },
      ['input'],
    );
    expect(values(r.loss as FloatArray)).toEqual([0.25, 0.75, 1, 0]);
    expect(values(r.grads.input as FloatArray)).toEqual([1, -1, 0, 0]);
  });

  it('uses the margin option (default 1), any real', () => {
    const args = { input: f64([1], [0.5]), target: f64([1], [-1]) };
    expect(evaluate(hingeEmbeddingLoss, args).loss).toBe(0.5);
    expect(evaluate(hingeEmbeddingLoss, args, { margin: 2 }).loss).toBe(1.5);
    expect(evaluate(hingeEmbeddingLoss, args, { margin: -1 }).loss).toBe(0);
  });

  it('passes the gradient −1 at the kink margin − x = 0', () => {
    const r = evaluate(
      hingeEmbeddingLoss,
      { input: f64([2], [1, 0.75]), target: f64([2], [-1, -1]) },
      { reduction: 'none', margin: 1 },
      ['input'],
    );
    expect(values(r.loss as FloatArray)).toEqual([0, 0.25]);
    expect(values(r.grads.input as FloatArray)).toEqual([-1, -1]);
  });

  it('handles non-finite inputs as PyTorch does', () => {
    const r = evaluate(
      hingeEmbeddingLoss,
      { input: f64([3], [Number.NaN, Number.NaN, Number.NEGATIVE_INFINITY]), target: f64([3], [1, -1, -1]) },
      { reduction: 'none' },
      ['input'],
    );
    // a NaN x fails the clamp mask (0) but still takes the y != -1 term
    expect(values(r.loss as FloatArray)).toEqual([Number.NaN, Number.NaN, Number.POSITIVE_INFINITY]);
    expect(values(r.grads.input as FloatArray)).toEqual([1, 0, -1]);
  });

  it('broadcasts a larger target and sums the input gradient back', () => {
    const r = evaluate(
      hingeEmbeddingLoss,
      { input: f64([2], [0.5, 2]), target: f64([2, 2], [1, 1, -1, -1]) },
      { reduction: 'sum' },
      ['input'],
    );
    // row 0: [0.5, 2]; row 1: [0.5, 0]
    expect(r.loss).toBe(3);
    expect(values(r.grads.input as FloatArray)).toEqual([0, 1]);
  });

  it('refuses shapes that do not broadcast, at /target', () => {
    expect(refusal(hingeEmbeddingLoss, { input: f64([2], [0, 0]), target: f64([3], [1, 1, 1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
  });

  it('has no gradient for target', () => {
    expect(hingeEmbeddingLoss.args.find((a) => a.name === 'target')?.differentiable).toBe(false);
    const out = requestRefusal(hingeEmbeddingLoss, { input: [0], target: [1], grad_wrt: ['target'] });
    expect(out?.paths[0]).toBe('/grad_wrt/0');
  });

  it('returns NaN for an empty mean', () => {
    expect(evaluate(hingeEmbeddingLoss, { input: f64([0], []), target: f64([0], []) }).loss).toBeNaN();
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(distance, label), { minLength: 1, maxLength: 20 }), distance, (pairs, margin) => {
        expectSumEqualsCountTimesMean(hingeEmbeddingLoss, pairArgs(pairs), pairs.length, { margin });
      }),
    );
  });

  it('has an input gradient that agrees with central finite differences away from the kink', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(distance, label), { minLength: 1, maxLength: 6 }),
        distance,
        fc.constantFrom('mean', 'sum', 'none'),
        (pairs, margin, reduction) => {
          fc.pre(pairs.every(([x]) => Math.abs(margin - x) > 1e-3));
          const gamma = reduction === 'none' ? Float64Array.from(pairs, (_, i) => 1 + i / 2) : null;
          expectGradientsMatchFiniteDifferences(hingeEmbeddingLoss, pairArgs(pairs), { reduction, margin }, ['input'], {
            gamma,
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
