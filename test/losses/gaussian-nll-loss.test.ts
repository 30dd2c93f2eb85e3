import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gaussianNllLoss } from '../../src/losses/gaussian-nll-loss.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import {
  checkWith,
  columnArgs,
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  refusal,
  values,
} from '../helpers/kernel.js';

const ALL = ['input', 'target', 'var'];

const real = fc.double({ min: -5, max: 5, noNaN: true });
const variance = fc.double({ min: 0.05, max: 5, noNaN: true });

describe('gaussian_nll_loss', () => {
  it('is 0.5·(log v + (x − y)²/v), with gradients (x − y)/v, −(x − y)/v and 0.5·(1/v − (x − y)²/v²)', () => {
    const r = evaluate(
      gaussianNllLoss,
      { input: f64([2], [1, 2]), target: f64([2], [0, 0]), var: f64([2], [1, 2]) },
      { reduction: 'none' },
      ALL,
    );
    expect(values(r.loss as FloatArray)).toEqual([0.5, 0.5 * (Math.LN2 + 2)]);
    expect(values(r.grads.input as FloatArray)).toEqual([1, 1]);
    expect(values(r.grads.target as FloatArray)).toEqual([-1, -1]);
    expect(values(r.grads.var as FloatArray)).toEqual([0, -0.25]);
  });

  it('adds 0.5·log(2π) per element with full', () => {
    const args = { input: f64([1], [1]), target: f64([1], [0]), var: f64([1], [1]) };
    expect(evaluate(gaussianNllLoss, args, { full: true }).loss).toBe(0.5 + 0.9189385332046727);
  });

  it('clamps var at eps without cutting its gradient', () => {
    const r = evaluate(
      gaussianNllLoss,
      { input: f64([2], [0, 0]), target: f64([2], [0, 0]), var: f64([2], [0, 1e-8]) },
      { reduction: 'none' },
      ALL,
    );
    // both variances become v = 1e-6: loss 0.5·log 1e-6, var gradient 0.5 / 1e-6
    expect(values(r.loss as FloatArray)).toEqual([0.5 * Math.log(1e-6), 0.5 * Math.log(1e-6)]);
    expect(values(r.grads.var as FloatArray)).toEqual([0.5 / 1e-6, 0.5 / 1e-6]);
    const custom = evaluate(
      gaussianNllLoss,
      { input: f64([1], [1]), target: f64([1], [0]), var: f64([1], [0.1]) },
      { eps: 0.5 },
      ['var'],
    );
    // v = 0.5: 0.5·(1/0.5 - 1/0.25)
    expect(values(custom.grads.var as FloatArray)).toEqual([-1]);
  });

  it('appends a trailing 1 to a var one dimension short of input and sums its gradient over that dimension', () => {
    const r = evaluate(
      gaussianNllLoss,
      { input: f64([2, 2], [1, 2, 0, 0]), target: f64([2, 2], [0, 0, 0, 0]), var: f64([2], [1, 2]) },
      { reduction: 'sum' },
      ALL,
    );
    // row 0 (v = 1): 0.5·(0 + 1) + 0.5·(0 + 4); row 1 (v = 2): 2 · 0.5·log 2
    expect(r.loss).toBeCloseTo(2.5 + Math.LN2, 15);
    expect(values(r.grads.input as FloatArray)).toEqual([1, 2, 0, 0]);
    // row 0: 0.5·(1 - 1) + 0.5·(1 - 4); row 1: 2 · 0.5·(1/2)
    expect(values(r.grads.var as FloatArray)).toEqual([-1.5, 0.5]);
  });

  it('accepts a var with the same leading dimensions and a last dimension of 1, a 0-d var for a 1-D input, and var (1) for a 0-d input', () => {
    const ok = (input: number[], v: number[], target = input) => {
      const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
      return checkWith(
        gaussianNllLoss,
        {
          input: f64(input, new Array(n(input)).fill(0)),
          target: f64(target, new Array(n(target)).fill(0)),
          var: f64(v, new Array(n(v)).fill(1)),
        },
        { reduction: 'none' },
      );
    };
    const lastOne = ok([2, 3], [2, 1]);
    expect(lastOne.ok && lastOne.lossShape).toEqual([2, 3]);
    const scalar = ok([3], []);
    expect(scalar.ok && scalar.lossShape).toEqual([3]);
    const zeroD = ok([], [1]);
    expect(zeroD.ok && zeroD.lossShape).toEqual([1]);
  });

  it('refuses a var of any other shape, even one that would broadcast', () => {
    const input = f64([2, 3], [0, 0, 0, 0, 0, 0]);
    const target = input;
    const mismatch = { code: 'LOSSD_SHAPE_MISMATCH', paths: ['/var'] };
    expect(refusal(gaussianNllLoss, { input, target, var: f64([3], [1, 1, 1]) })).toMatchObject(mismatch);
    expect(refusal(gaussianNllLoss, { input, target, var: f64([], [1]) })).toMatchObject(mismatch);
    expect(refusal(gaussianNllLoss, { input, target, var: f64([2, 2], [1, 1, 1, 1]) })).toMatchObject(mismatch);
  });

  it('refuses a negative var entry but lets NaN and −0 through', () => {
    const input = f64([2], [0, 0]);
    expect(refusal(gaussianNllLoss, { input, target: input, var: f64([2], [1, -0.5]) })).toMatchObject({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/var'],
    });
    const r = evaluate(
      gaussianNllLoss,
      { input, target: input, var: f64([2], [Number.NaN, -0]) },
      { reduction: 'none' },
    );
    expect(values(r.loss as FloatArray)).toEqual([Number.NaN, 0.5 * Math.log(1e-6)]);
  });

  it('broadcasts the target either way with input and var, and refuses a target that does not broadcast', () => {
    const r = evaluate(
      gaussianNllLoss,
      { input: f64([2, 1], [1, 2]), target: f64([3], [0, 0, 0]), var: f64([2, 1], [1, 1]) },
      { reduction: 'none' },
      ALL,
    );
    expect(r.lossShape).toEqual([2, 3]);
    expect(values(r.grads.input as FloatArray)).toEqual([3, 6]);
    expect(values(r.grads.target as FloatArray)).toEqual([-3, -3, -3]);
    // 3 · 0.5·(1 - d²): d = 1 → 0, d = 2 → -4.5
    expect(values(r.grads.var as FloatArray)).toEqual([0, -4.5]);
    const input = f64([2], [0, 0]);
    expect(refusal(gaussianNllLoss, { input, target: f64([3], [0, 0, 0]), var: input })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
  });

  it('gives an infinite loss and zero gradients for an infinite var', () => {
    const r = evaluate(
      gaussianNllLoss,
      { input: f64([1], [1]), target: f64([1], [0]), var: f64([1], [Number.POSITIVE_INFINITY]) },
      { reduction: 'sum' },
      ALL,
    );
    expect(r.loss).toBe(Number.POSITIVE_INFINITY);
    expect(values(r.grads.input as FloatArray)).toEqual([0]);
    expect(values(r.grads.var as FloatArray)).toEqual([0]);
  });

  it('returns NaN for an empty mean', () => {
    const e = f64([0], []);
    expect(evaluate(gaussianNllLoss, { input: e, target: e, var: e }).loss).toBeNaN();
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(real, real, variance), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (rows, full) => {
          expectSumEqualsCountTimesMean(gaussianNllLoss, columnArgs(rows, ALL), rows.length, { full });
        },
      ),
    );
  });

  it('has gradients for input, target and var that agree with central finite differences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(real, real, variance), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('mean', 'sum', 'none'),
        (rows, reduction) => {
          const gamma = reduction === 'none' ? Float64Array.from(rows, (_, i) => 1 - i / 4) : null;
          expectGradientsMatchFiniteDifferences(gaussianNllLoss, columnArgs(rows, ALL), { reduction }, ALL, { gamma });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('sums the gradient of a broadcast var over the appended dimension (finite differences)', () => {
    const args = {
      input: f64([2, 3], [0.5, -1, 2, 0, 1.5, -0.5]),
      target: f64([3], [0.1, 0.2, 0.3]),
      var: f64([2], [0.7, 1.9]),
    };
    expectGradientsMatchFiniteDifferences(gaussianNllLoss, args, { reduction: 'mean' }, ALL);
  });
});
