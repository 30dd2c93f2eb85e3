import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { softMarginLoss } from '../../src/losses/soft-margin-loss.js';
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

const score = fc.double({ min: -10, max: 10, noNaN: true });
const label = fc.constantFrom(1, -1, 0.5, 2);

describe('soft_margin_loss', () => {
  it('is log(1 + exp(−y·x)) with gradient −y·z/(1 + z), z = exp(−y·x)', () => {
    const r = evaluate(softMarginLoss, { input: f64([2], [0, 1]), target: f64([2], [1, -1]) }, { reduction: 'none' }, [
      'input',
    ]);
    expect(values(r.loss as FloatArray)).toEqual([Math.LN2, Math.log(1 + Math.E)]);
    expect(values(r.grads.input as FloatArray)).toEqual([-0.5, Math.E / (1 + Math.E)]);
  });

  it('overflows like PyTorch’s literal formula: inf loss and NaN gradient past −y·x ≈ 709.78', () => {
    const r = evaluate(
      softMarginLoss,
      { input: f64([2], [-800, 40]), target: f64([2], [1, 1]) },
      { reduction: 'none' },
      ['input'],
    );
    // y·x = 40: 1 + z rounds to 1, the loss is exactly 0 and the gradient the tiny -z
    expect(values(r.loss as FloatArray)).toEqual([Number.POSITIVE_INFINITY, 0]);
    expect(values(r.grads.input as FloatArray)).toEqual([Number.NaN, -4.248354255291589e-18]);
  });

  it('broadcasts a target row into the input shape and averages over numel(input)', () => {
    const r = evaluate(softMarginLoss, { input: f64([2, 2], [0, 0, 0, 0]), target: f64([2], [1, -1]) }, {}, ['input']);
    expect(r.loss).toBe(Math.LN2);
    expect(values(r.grads.input as FloatArray)).toEqual([-0.125, 0.125, -0.125, 0.125]);
  });

  it('refuses a target that would enlarge the input shape or does not broadcast', () => {
    const mismatch = { code: 'LOSSD_SHAPE_MISMATCH', paths: ['/target'] };
    expect(refusal(softMarginLoss, { input: f64([2], [0, 0]), target: f64([2, 2], [1, 1, 1, 1]) })).toMatchObject(
      mismatch,
    );
    expect(refusal(softMarginLoss, { input: f64([2], [0, 0]), target: f64([3], [1, 1, 1]) })).toMatchObject(mismatch);
  });

  it('has no gradient for target', () => {
    expect(softMarginLoss.args.find((a) => a.name === 'target')?.differentiable).toBe(false);
    const out = requestRefusal(softMarginLoss, { input: [0], target: [1], grad_wrt: ['target'] });
    expect(out?.paths[0]).toBe('/grad_wrt/0');
  });

  it('returns NaN for an empty mean', () => {
    expect(evaluate(softMarginLoss, { input: f64([0], []), target: f64([0], []) }).loss).toBeNaN();
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(score, label), { minLength: 1, maxLength: 20 }), (pairs) => {
        expectSumEqualsCountTimesMean(softMarginLoss, pairArgs(pairs), pairs.length);
      }),
    );
  });

  it('has an input gradient that agrees with central finite differences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(score, label), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('mean', 'sum', 'none'),
        (pairs, reduction) => {
          const gamma = reduction === 'none' ? Float64Array.from(pairs, (_, i) => 2 - i / 3) : null;
          expectGradientsMatchFiniteDifferences(softMarginLoss, pairArgs(pairs), { reduction }, ['input'], { gamma });
        },
      ),
      { numRuns: 60 },
    );
  });
});
