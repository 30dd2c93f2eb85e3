import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mseLoss } from '../../src/losses/mse-loss.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  pairArgs,
} from '../helpers/kernel.js';

const finite = fc.double({ min: -10, max: 10, noNaN: true });

describe('mse_loss', () => {
  it('is the mean of squared differences, with gradient 2d/n for input and -2d/n for target', () => {
    const r = evaluate(mseLoss, { input: f64([2], [1, 4]), target: f64([2], [0, 1]) }, {}, ['input', 'target']);
    expect(r.loss).toBe(5); // (1 + 9) / 2
    expect([...(r.grads.input as Float64Array)]).toEqual([1, 3]);
    expect([...(r.grads.target as Float64Array)]).toEqual([-1, -3]);
  });

  it('broadcasts input (3, 1) against target (1, 4) and sums the gradient back', () => {
    const r = evaluate(
      mseLoss,
      { input: f64([3, 1], [1, 2, 3]), target: f64([1, 4], [0, 0, 0, 0]) },
      { reduction: 'none' },
      ['input', 'target'],
    );
    expect(r.lossShape).toEqual([3, 4]);
    expect([...(r.grads.input as Float64Array)]).toEqual([8, 16, 24]);
    expect([...(r.grads.target as Float64Array)]).toEqual([-12, -12, -12, -12]);
  });

  it('refuses shapes that do not broadcast', () => {
    expect(() => evaluate(mseLoss, { input: f64([2], [1, 2]), target: f64([3], [1, 2, 3]) })).toThrow(
      /LOSSD_SHAPE_MISMATCH/,
    );
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(finite, finite), { minLength: 1, maxLength: 20 }), (pairs) => {
        expectSumEqualsCountTimesMean(mseLoss, pairArgs(pairs), pairs.length);
      }),
    );
  });

  it('has gradients that agree with central finite differences', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(finite, finite), { minLength: 1, maxLength: 8 }), (pairs) => {
        expectGradientsMatchFiniteDifferences(mseLoss, pairArgs(pairs), {}, ['input', 'target']);
      }),
      { numRuns: 50 },
    );
  });
});
