import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sigmoidFocalLoss } from '../../src/losses/sigmoid-focal-loss.js';
import {
  columnArgs,
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  optionPaths,
  refusal,
} from '../helpers/kernel.js';

const LN2 = Math.log(2);
const BOTH = ['inputs', 'targets'];

const logit = fc.double({ min: -4, max: 4, noNaN: true });
const label = fc.double({ min: 0, max: 1, noNaN: true });

describe('sigmoid_focal_loss', () => {
  it('returns the elementwise loss by default (torchvision reduction "none")', () => {
    const r = evaluate(sigmoidFocalLoss, { inputs: f64([2], [0, 0]), targets: f64([2], [1, 0]) });
    expect(r.lossShape).toEqual([2]);
    // p = 1/2, ce = log 2, (1 - p_t)^2 = 1/4; alpha_t = 0.25 for the positive, 0.75 for the negative
    const loss = r.loss as Float64Array;
    expect(loss[0]).toBeCloseTo(LN2 / 16, 15);
    expect(loss[1]).toBeCloseTo((3 * LN2) / 16, 15);
  });

  it('has input gradient alpha (1 - p)^2 (2 p log p - (1 - p)) for a positive label', () => {
    const r = evaluate(sigmoidFocalLoss, { inputs: f64([1], [0]), targets: f64([1], [1]) }, {}, ['inputs']);
    // p = 1/2: 0.25 · 0.25 · (-log 2 - 0.5)
    expect((r.grads.inputs as Float64Array)[0]).toBeCloseTo(-(LN2 + 0.5) / 16, 15);
  });

  it('is binary cross-entropy with logits when gamma = 0 and alpha is negative', () => {
    const r = evaluate(
      sigmoidFocalLoss,
      { inputs: f64([2], [0, 2]), targets: f64([2], [0, 1]) },
      { gamma: 0, alpha: -1 },
      ['inputs', 'targets'],
    );
    const loss = r.loss as Float64Array;
    expect(loss[0]).toBeCloseTo(LN2, 15);
    expect(loss[1]).toBeCloseTo(Math.log1p(Math.exp(-2)), 15);
    const gx = r.grads.inputs as Float64Array;
    expect(gx[0]).toBeCloseTo(0.5, 15); // sigmoid(0) - 0
    expect(gx[1]).toBeCloseTo(1 / (1 + Math.exp(-2)) - 1, 15);
    // d ce / d t = -x; the (1 - p_t)^0 factor contributes nothing
    expect([...(r.grads.targets as Float64Array)]).toEqual([0, -2]);
  });

  it('weights a negative label by 1 - alpha and stays exact for saturated logits', () => {
    const r = evaluate(
      sigmoidFocalLoss,
      { inputs: f64([2], [800, -800]), targets: f64([2], [0, 1]) },
      { reduction: 'none' },
      ['inputs'],
    );
    // p_t = 0, so the loss is the plain cross-entropy |x| times alpha_t
    expect([...(r.loss as Float64Array)]).toEqual([0.75 * 800, 0.25 * 800]);
    expect([...(r.grads.inputs as Float64Array)]).toEqual([0.75, -0.25]);
  });

  it('propagates NaN logits and gives NaN for an infinite logit with the opposite label (0 · inf)', () => {
    const r = evaluate(sigmoidFocalLoss, {
      inputs: f64([3], [Number.NaN, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]),
      targets: f64([3], [1, 0, 1]),
    });
    const loss = r.loss as Float64Array;
    expect(loss[0]).toBeNaN();
    expect(loss[1]).toBe(Number.POSITIVE_INFINITY);
    expect(loss[2]).toBeNaN();
  });

  it('averages over all elements for "mean", NaN when there are none', () => {
    const args = { inputs: f64([2], [0, 0]), targets: f64([2], [1, 0]) };
    expect(evaluate(sigmoidFocalLoss, args, { reduction: 'mean' }).loss).toBeCloseTo(LN2 / 8, 15);
    const empty = { inputs: f64([0], []), targets: f64([0], []) };
    expect(evaluate(sigmoidFocalLoss, empty, { reduction: 'mean' }).loss).toBeNaN();
    expect(evaluate(sigmoidFocalLoss, empty, { reduction: 'sum' }).loss).toBe(0);
  });

  it('refuses targets of another shape, without broadcasting', () => {
    expect(refusal(sigmoidFocalLoss, { inputs: f64([2, 2], [0, 0, 0, 0]), targets: f64([2], [0, 1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/targets'],
    });
  });

  it('refuses gamma < 0 and alpha > 1, and accepts any negative alpha', () => {
    expect(optionPaths(sigmoidFocalLoss, { gamma: -0.5 })).toEqual(['/gamma']);
    expect(optionPaths(sigmoidFocalLoss, { alpha: 1.5 })).toEqual(['/alpha']);
    expect(optionPaths(sigmoidFocalLoss, { alpha: -3, gamma: 0 })).toEqual([]);
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(logit, label), { minLength: 1, maxLength: 20 }), (pairs) => {
        expectSumEqualsCountTimesMean(sigmoidFocalLoss, columnArgs(pairs, BOTH), pairs.length);
      }),
    );
  });

  it('has input and target gradients that agree with central finite differences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(logit, label), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.constantFrom('none', 'mean', 'sum'),
        (pairs, gamma, alpha, reduction) => {
          const gammaOut = reduction === 'none' ? Float64Array.from(pairs, (_, i) => 1 + i / 2) : null;
          expectGradientsMatchFiniteDifferences(
            sigmoidFocalLoss,
            columnArgs(pairs, BOTH),
            { gamma, alpha, reduction },
            BOTH,
            {
              gamma: gammaOut,
              g: reduction === 'none' ? 1 : 0.7,
            },
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
