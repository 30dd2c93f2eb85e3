import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryCrossEntropy, EPS32 } from '../../src/losses/binary-cross-entropy.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  pairArgs,
  refusal,
  type TestArgs,
  values,
} from '../helpers/kernel.js';
import { requestRefusal } from '../helpers/request.js';

const p = fc.double({ min: 0.05, max: 0.95, noNaN: true });
const y = fc.double({ min: 0, max: 1, noNaN: true });

describe('binary_cross_entropy', () => {
  it('is −(y·log x + (1 − y)·log(1 − x)) per element', () => {
    const r = evaluate(
      binaryCrossEntropy,
      { input: f64([2], [0.5, 0.25]), target: f64([2], [1, 0]) },
      { reduction: 'none' },
      ['input', 'target'],
    );
    expect(values(r.loss as FloatArray)).toEqual([Math.LN2, -Math.log(0.75)]);
    // (x - y) / (x (1 - x)): -0.5 / 0.25 and 0.25 / 0.1875
    expect(values(r.grads.input as FloatArray)).toEqual([-2, 0.25 / 0.1875]);
    // -log(x / (1 - x)): -log 1 and -log(1/3) (1/3 rounded first, hence toBeCloseTo)
    const gt = values(r.grads.target as FloatArray);
    expect(gt[0]).toBe(0);
    expect(gt[1]).toBeCloseTo(Math.log(3), 15);
  });

  it('clamps each log at −100, so saturated probabilities cost exactly 100', () => {
    const r = evaluate(
      binaryCrossEntropy,
      { input: f64([3], [0, 1, 1]), target: f64([3], [1, 0, 1]) },
      { reduction: 'none' },
    );
    expect(values(r.loss as FloatArray)).toEqual([100, 100, 0]);
  });

  it('bounds the input gradient with the float32 constant 1e-12 and leaves the target gradient unclamped', () => {
    const r = evaluate(
      binaryCrossEntropy,
      { input: f64([3], [0, 1, 1e-300]), target: f64([3], [1, 0, 0]) },
      { reduction: 'none' },
      ['input', 'target'],
    );
    expect(EPS32).toBe(Math.fround(1e-12));
    expect(values(r.grads.input as FloatArray).slice(0, 2)).toEqual([-1 / EPS32, 1 / EPS32]);
    expect(-1 / EPS32).toBe(-1000000003995.8029);
    const gt = values(r.grads.target as FloatArray);
    expect(gt.slice(0, 2)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(gt[2]).toBeCloseTo(300 * Math.log(10), 9);
  });

  it('multiplies by a weight that broadcasts to the input shape, and averages over numel(input)', () => {
    // L per element: log 2 for x = 0.5, y = 1; weights [1, 3] along the last dimension
    const args = {
      input: f64([2, 2], [0.5, 0.5, 0.5, 0.5]),
      target: f64([2, 2], [1, 1, 1, 1]),
      weight: f64([2], [1, 3]),
    };
    const r = evaluate(binaryCrossEntropy, args, {}, ['input']);
    expect(r.loss).toBeCloseTo(2 * Math.LN2, 15);
    // -2 · w / 4
    expect(values(r.grads.input as FloatArray)).toEqual([-0.5, -1.5, -0.5, -1.5]);
  });

  it('does not check the target: NaN and values outside [0, 1] are computed', () => {
    const r = evaluate(
      binaryCrossEntropy,
      { input: f64([2], [0.5, 0.5]), target: f64([2], [Number.NaN, 2]) },
      { reduction: 'none' },
    );
    // y = 2: (2 - 1)·log 0.5 - 2·log 0.5 = -log 0.5
    expect(values(r.loss as FloatArray)).toEqual([Number.NaN, Math.LN2]);
  });

  it('refuses any input outside [0, 1], NaN included', () => {
    for (const bad of [1.5, -0.1, Number.NaN]) {
      expect(refusal(binaryCrossEntropy, { input: f64([2], [0.5, bad]), target: f64([2], [1, 1]) })).toMatchObject({
        code: 'LOSSD_INVALID_VALUE',
        paths: ['/input'],
      });
    }
  });

  it('refuses a target whose shape differs from the input shape, even when it would broadcast', () => {
    expect(
      refusal(binaryCrossEntropy, { input: f64([2, 2], [0.5, 0.5, 0.5, 0.5]), target: f64([2], [1, 1]) }),
    ).toMatchObject({ code: 'LOSSD_SHAPE_MISMATCH', paths: ['/target'] });
  });

  it('refuses a weight that does not broadcast to the input shape or would enlarge it', () => {
    const input = f64([2], [0.5, 0.5]);
    const target = f64([2], [1, 1]);
    const mismatch = { code: 'LOSSD_SHAPE_MISMATCH', paths: ['/weight'] };
    expect(refusal(binaryCrossEntropy, { input, target, weight: f64([3], [1, 1, 1]) })).toMatchObject(mismatch);
    expect(refusal(binaryCrossEntropy, { input, target, weight: f64([2, 2], [1, 1, 1, 1]) })).toMatchObject(mismatch);
  });

  it('has no gradient for weight', () => {
    expect(binaryCrossEntropy.args.find((a) => a.name === 'weight')?.differentiable).toBe(false);
    const out = requestRefusal(binaryCrossEntropy, { input: [0.5], target: [1], weight: [2], grad_wrt: ['weight'] });
    expect(out?.paths[0]).toBe('/grad_wrt/0');
  });

  it('returns NaN for an empty mean and 0 for an empty sum', () => {
    const args = { input: f64([0, 2], []), target: f64([0, 2], []) };
    expect(evaluate(binaryCrossEntropy, args).loss).toBeNaN();
    expect(evaluate(binaryCrossEntropy, args, { reduction: 'sum' }).loss).toBe(0);
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(p, y), { minLength: 1, maxLength: 20 }), (pairs) => {
        expectSumEqualsCountTimesMean(binaryCrossEntropy, pairArgs(pairs), pairs.length);
      }),
    );
  });

  it('has input and target gradients that agree with central finite differences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(p, y, fc.double({ min: 0.1, max: 3, noNaN: true })), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('mean', 'sum', 'none'),
        fc.boolean(),
        (rows, reduction, weighted) => {
          const args: TestArgs = pairArgs(rows);
          if (weighted)
            args.weight = f64(
              [rows.length],
              rows.map((r) => r[2]),
            );
          const gamma = reduction === 'none' ? Float64Array.from(rows, (_, i) => 1 + i / 2) : null;
          expectGradientsMatchFiniteDifferences(binaryCrossEntropy, args, { reduction }, ['input', 'target'], {
            gamma,
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
