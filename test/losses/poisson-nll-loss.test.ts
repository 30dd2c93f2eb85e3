import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { poissonNllLoss } from '../../src/losses/poisson-nll-loss.js';
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

const logRate = fc.double({ min: -3, max: 3, noNaN: true });
const rate = fc.double({ min: 0.1, max: 10, noNaN: true });
const count = fc.double({ min: 0, max: 8, noNaN: true });

describe('poisson_nll_loss', () => {
  it('is exp(x) − y·x for log-rates, with gradients exp(x) − y and −x', () => {
    const r = evaluate(poissonNllLoss, { input: f64([2], [0, 1]), target: f64([2], [2, 1]) }, { reduction: 'none' }, [
      'input',
      'target',
    ]);
    expect(values(r.loss as FloatArray)).toEqual([1, Math.E - 1]);
    expect(values(r.grads.input as FloatArray)).toEqual([-1, Math.E - 1]);
    expect(values(r.grads.target as FloatArray)).toEqual([0, -1]);
  });

  it('is x − y·log(x + eps) for rates (log_input = false)', () => {
    const r = evaluate(
      poissonNllLoss,
      { input: f64([1], [2]), target: f64([1], [1]) },
      { reduction: 'sum', log_input: false, eps: 0 },
      ['input', 'target'],
    );
    expect(r.loss).toBe(2 - Math.LN2);
    expect(values(r.grads.input as FloatArray)).toEqual([0.5]);
    expect(values(r.grads.target as FloatArray)).toEqual([-Math.LN2]);
    // the default eps = 1e-8 is added inside the log
    const d = evaluate(poissonNllLoss, { input: f64([1], [0]), target: f64([1], [1]) }, { log_input: false });
    expect(d.loss).toBe(-Math.log(1e-8));
  });

  it('adds Stirling’s term y·log y − y + 0.5·log(2πy) with full, only where y > 1', () => {
    const r = evaluate(
      poissonNllLoss,
      { input: f64([3], [0, 0, 0]), target: f64([3], [3, 1, 0.5]) },
      { reduction: 'none', full: true },
      ['target'],
    );
    const stirling3 = 3 * Math.log(3) - 3 + 0.5 * Math.log(6 * Math.PI);
    const loss = values(r.loss as FloatArray);
    expect(loss[0]).toBeCloseTo(1 + stirling3, 14);
    expect(loss.slice(1)).toEqual([1, 1]);
    // y = 3: -x + log 3 + 1/(2·3); y <= 1 and y > 0: -x only
    const gt = values(r.grads.target as FloatArray);
    expect(gt[0]).toBeCloseTo(Math.log(3) + 1 / 6, 14);
    expect(gt.slice(1)).toEqual([0, 0]);
  });

  it('gives a NaN target gradient for y <= 0 with full while the loss stays finite, as PyTorch does', () => {
    const r = evaluate(
      poissonNllLoss,
      { input: f64([2], [0.5, 0.5]), target: f64([2], [0, -1]) },
      { reduction: 'none', full: true },
      ['input', 'target'],
    );
    // exp(0.5) - y·0.5
    expect(values(r.loss as FloatArray)).toEqual([Math.exp(0.5), Math.exp(0.5) + 0.5]);
    expect(values(r.grads.target as FloatArray)).toEqual([Number.NaN, Number.NaN]);
    expect(values(r.grads.input as FloatArray)).toEqual([Math.exp(0.5), Math.exp(0.5) + 1]);
  });

  it('computes negative, fractional and non-finite values as given', () => {
    const inf = Number.POSITIVE_INFINITY;
    const r = evaluate(
      poissonNllLoss,
      { input: f64([4], [inf, -inf, -inf, 800]), target: f64([4], [1, 1, 0, 2.5]) },
      { reduction: 'none' },
      ['input'],
    );
    // inf - inf; 0 + inf; 0 - 0·(-inf); exp(800) overflows
    expect(values(r.loss as FloatArray)).toEqual([Number.NaN, inf, Number.NaN, inf]);
    expect(values(r.grads.input as FloatArray)).toEqual([inf, -1, 0, inf]);
  });

  it('broadcasts input and target both ways and sums the gradients back', () => {
    const r = evaluate(
      poissonNllLoss,
      { input: f64([2, 1], [0, 0]), target: f64([3], [1, 2, 3]) },
      { reduction: 'sum' },
      ['input', 'target'],
    );
    expect(r.loss).toBe(6);
    // Σ_j (1 - y_j) per row; -x = 0 summed over the two rows
    expect(values(r.grads.input as FloatArray)).toEqual([-3, -3]);
    expect(values(r.grads.target as FloatArray)).toEqual([0, 0, 0]);
  });

  it('sums a broadcast input where PyTorch does, before dividing by x + eps', () => {
    // x + eps = 0 shared by targets 0 and 1: PyTorch gives ΣG + Σ(-G·y) / 0 = 2 + (-1 / 0) = -inf;
    // summing the per-element gradients (-0/0 = NaN and -1/0) would give NaN
    const r = evaluate(
      poissonNllLoss,
      { input: f64([1], [0]), target: f64([2], [0, 1]) },
      { reduction: 'sum', log_input: false, eps: 0 },
      ['input', 'target'],
    );
    expect(r.loss).toBeNaN();
    expect(values(r.grads.input as FloatArray)).toEqual([Number.NEGATIVE_INFINITY]);
    expect(values(r.grads.target as FloatArray)).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    // log-rates: exp(x)·ΣG + Σ(-G·y), with grad_output per element
    const l = evaluate(
      poissonNllLoss,
      { input: f64([2, 1], [0, 1]), target: f64([3], [1, 2, 3]) },
      { reduction: 'none' },
      ['input'],
      { gamma: Float64Array.from([1, 2, 3, -1, 0, 1]) },
    );
    expect(values(l.grads.input as FloatArray)).toEqual([6 - 14, 0 * Math.E - 2]);
  });

  it('takes the Stirling term of a broadcast target at the summed upstream factor (empty broadcast)', () => {
    // target (2, 1) against input (2, 0): PyTorch applies the masked term's backward to the
    // empty sum, so y = 0 still gets 0·log 0 = NaN
    const r = evaluate(
      poissonNllLoss,
      { input: f64([2, 0], []), target: f64([2, 1], [0, 3]) },
      { reduction: 'sum', full: true },
      ['target'],
    );
    expect(r.loss).toBe(0);
    expect(values(r.grads.target as FloatArray)).toEqual([Number.NaN, 0]);
  });

  it('refuses shapes that do not broadcast, at /target', () => {
    expect(refusal(poissonNllLoss, { input: f64([2], [0, 0]), target: f64([3], [1, 1, 1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
  });

  it('takes boolean log_input and full options only', () => {
    expect(poissonNllLoss.options.safeParse({ full: 'yes' }).success).toBe(false);
    expect(poissonNllLoss.options.safeParse({ log_input: 0 }).success).toBe(false);
    expect(poissonNllLoss.options.safeParse({ eps: -1 }).success).toBe(true);
  });

  it('returns NaN for an empty mean', () => {
    expect(evaluate(poissonNllLoss, { input: f64([0], []), target: f64([0], []) }).loss).toBeNaN();
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(logRate, count), { minLength: 1, maxLength: 20 }), fc.boolean(), (pairs, full) => {
        expectSumEqualsCountTimesMean(poissonNllLoss, pairArgs(pairs), pairs.length, { full });
      }),
    );
  });

  it('has input and target gradients that agree with central finite differences in every mode', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(logRate, rate, count), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('mean', 'sum', 'none'),
        (rows, logInput, full, reduction) => {
          // Stirling's term jumps at y = 1 and its gradient is NaN for y <= 0: keep targets off both
          fc.pre(!full || rows.every((r) => r[2] > 0.01 && Math.abs(r[2] - 1) > 1e-3));
          const args = pairArgs(rows.map((r) => [logInput ? r[0] : r[1], r[2]]));
          const gamma = reduction === 'none' ? Float64Array.from(rows, (_, i) => 1 + i) : null;
          expectGradientsMatchFiniteDifferences(
            poissonNllLoss,
            args,
            { reduction, log_input: logInput, full },
            ['input', 'target'],
            { gamma },
          );
        },
      ),
      { numRuns: 80 },
    );
  });
});
