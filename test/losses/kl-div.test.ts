import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { klDiv } from '../../src/losses/kl-div.js';
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

const logProb = fc.double({ min: -5, max: 0, noNaN: true });
const prob = fc.double({ min: 0.01, max: 1, noNaN: true });

describe('kl_div', () => {
  it('is y·(log y − x) per element, exactly 0 where the target is 0', () => {
    const r = evaluate(klDiv, { input: f64([2], [-1, -2]), target: f64([2], [0.5, 0]) }, { reduction: 'none' });
    // 0.5·(log 0.5 + 1) = 0.5 - 0.5·ln 2
    expect(values(r.loss as FloatArray)).toEqual([0.5 - 0.5 * Math.LN2, 0]);
  });

  it('defaults to "mean" over every element; "batchmean" divides by input.shape[0]', () => {
    // x = -1, y = 1 everywhere: L = 1·log 1 + 1 = 1 per element, Σ L = 4
    const args = { input: f64([2, 2], [-1, -1, -1, -1]), target: f64([2, 2], [1, 1, 1, 1]) };
    const mean = evaluate(klDiv, args, {}, ['input']);
    expect(mean.loss).toBe(1);
    expect(values(mean.grads.input as FloatArray)).toEqual([-0.25, -0.25, -0.25, -0.25]);
    expect(evaluate(klDiv, args, { reduction: 'sum' }).loss).toBe(4);
    const batchmean = evaluate(klDiv, args, { reduction: 'batchmean' }, ['input']);
    expect(batchmean.loss).toBe(2);
    expect(values(batchmean.grads.input as FloatArray)).toEqual([-0.5, -0.5, -0.5, -0.5]);
  });

  it('uses input.shape[0] for batchmean even when the target broadcasts to a larger shape', () => {
    // input (2) against target (3, 2): six elements of loss 1, divided by input.shape[0] = 2
    const r = evaluate(
      klDiv,
      { input: f64([2], [-1, -1]), target: f64([3, 2], [1, 1, 1, 1, 1, 1]) },
      {
        reduction: 'batchmean',
      },
      ['input', 'target'],
    );
    expect(r.loss).toBe(3);
    // each input element collects three times -y/2
    expect(values(r.grads.input as FloatArray)).toEqual([-1.5, -1.5]);
    // log 1 + 1 - (-1) = 2, times 1/2
    expect(values(r.grads.target as FloatArray)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('does not divide a 0-d input under batchmean', () => {
    const r = evaluate(klDiv, { input: f64([], [-1]), target: f64([], [2]) }, { reduction: 'batchmean' }, ['input']);
    expect(r.loss).toBe(2 * Math.log(2) + 2);
    expect(values(r.grads.input as FloatArray)).toEqual([-2]);
  });

  it('gives the target the gradient log y + 1 − x, and NaN where y = 0 (0/0 inside xlogy)', () => {
    const r = evaluate(
      klDiv,
      { input: f64([3], [-1, 0.5, -1]), target: f64([3], [1, Math.E, 0]) },
      { reduction: 'sum' },
      ['input', 'target'],
    );
    expect(values(r.grads.target as FloatArray)).toEqual([2, 1.5, Number.NaN]);
    expect(values(r.grads.input as FloatArray)).toEqual([-1, -Math.E, 0]);
  });

  it('reads the target in log space with log_target: L = exp(y)·(y − x)', () => {
    const r = evaluate(
      klDiv,
      { input: f64([2], [-1, -2]), target: f64([2], [0, Math.log(2)]) },
      { reduction: 'none', log_target: true },
      ['input', 'target'],
    );
    // y = 0: 1·(0 + 1) = 1;  y = log 2: 2·(log 2 + 2)
    expect(values(r.loss as FloatArray)).toEqual([1, 2 * (Math.log(2) + 2)]);
    expect(values(r.grads.input as FloatArray)).toEqual([-1, -2]);
    // exp(y) + exp(y)·(y - x)
    expect(values(r.grads.target as FloatArray)).toEqual([2, 2 + 2 * (Math.log(2) + 2)]);
  });

  it('propagates non-finite values as PyTorch does', () => {
    const r = evaluate(
      klDiv,
      { input: f64([2], [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]), target: f64([2], [0.5, 0]) },
      { reduction: 'none' },
      ['input'],
    );
    // y > 0: -y·(-inf) = +inf;  y = 0: 0 - 0·(-inf) = NaN; the input gradient stays -y
    expect(values(r.loss as FloatArray)).toEqual([Number.POSITIVE_INFINITY, Number.NaN]);
    expect(values(r.grads.input as FloatArray)).toEqual([-0.5, 0]);
    const lt = evaluate(
      klDiv,
      { input: f64([1], [-1]), target: f64([1], [Number.NEGATIVE_INFINITY]) },
      { reduction: 'none', log_target: true },
      ['input', 'target'],
    );
    expect(values(lt.loss as FloatArray)).toEqual([Number.NaN]);
    expect(values(lt.grads.input as FloatArray)).toEqual([0]);
    expect(values(lt.grads.target as FloatArray)).toEqual([Number.NaN]);
  });

  it('sums a broadcast target before its own factors, as PyTorch does (empty broadcast)', () => {
    // target (2, 1) against input (2, 0): nothing to sum, yet PyTorch still applies xlogy's
    // backward to the empty sum, 0·0/0 = NaN at y = 0 (log_target: 0·exp(y) = 0)
    const args = { input: f64([2, 0], []), target: f64([2, 1], [0, 0.5]) };
    const r = evaluate(klDiv, args, { reduction: 'sum' }, ['input', 'target']);
    expect(r.loss).toBe(0);
    expect(values(r.grads.target as FloatArray)).toEqual([Number.NaN, 0]);
    const l = evaluate(klDiv, { ...args, target: f64([2, 1], [-1, 0.5]) }, { reduction: 'sum', log_target: true }, [
      'target',
    ]);
    expect(values(l.grads.target as FloatArray)).toEqual([0, 0]);
  });

  it('returns NaN for an empty mean or batchmean and 0 for an empty sum', () => {
    const args = { input: f64([0, 3], []), target: f64([0, 3], []) };
    expect(evaluate(klDiv, args).loss).toBeNaN();
    expect(evaluate(klDiv, args, { reduction: 'batchmean' }).loss).toBeNaN();
    expect(evaluate(klDiv, args, { reduction: 'sum' }).loss).toBe(0);
  });

  it('refuses shapes that do not broadcast, at /target', () => {
    expect(refusal(klDiv, { input: f64([2], [-1, -1]), target: f64([3], [1, 1, 1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
  });

  it('accepts "batchmean" and a boolean log_target, and nothing else', () => {
    expect(klDiv.options.safeParse({ reduction: 'batchmean' }).success).toBe(true);
    expect(klDiv.options.safeParse({ reduction: 'avg' }).success).toBe(false);
    expect(klDiv.options.safeParse({ log_target: 1 }).success).toBe(false);
    expect(requestRefusal(klDiv, { input: [-1], target: [1], log_target: 'true' })).not.toBeNull();
  });

  it('gives sum = n · mean and sum = input.shape[0] · batchmean', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(logProb, prob), { minLength: 3, maxLength: 3 }),
        (rows, cols) => {
          const n = rows * cols.length;
          const x = Array.from({ length: n }, (_, i) => (cols[i % 3] as [number, number])[0] - i / 10);
          const y = Array.from({ length: n }, (_, i) => (cols[i % 3] as [number, number])[1]);
          const args = { input: f64([rows, 3], x), target: f64([rows, 3], y) };
          expectSumEqualsCountTimesMean(klDiv, args, n);
          const sum = evaluate(klDiv, args, { reduction: 'sum' }).loss as number;
          const batchmean = evaluate(klDiv, args, { reduction: 'batchmean' }).loss as number;
          expect(sum).toBeCloseTo(batchmean * rows, 9);
        },
      ),
    );
  });

  it('has input and target gradients that agree with central finite differences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(logProb, prob), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('mean', 'sum', 'batchmean', 'none'),
        fc.boolean(),
        (pairs, reduction, logTarget) => {
          // in log space the target is a log-probability
          const args = pairArgs(pairs.map((p) => [p[0], logTarget ? Math.log(p[1]) : p[1]]));
          const gamma = reduction === 'none' ? Float64Array.from(pairs, (_, i) => 1 - i / 4) : null;
          expectGradientsMatchFiniteDifferences(
            klDiv,
            args,
            { reduction, log_target: logTarget },
            ['input', 'target'],
            {
              gamma,
            },
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('sums broadcast gradients back to each argument (finite differences)', () => {
    const args = { input: f64([3, 1], [-0.5, -1, -2]), target: f64([1, 2], [0.3, 0.7]) };
    expectGradientsMatchFiniteDifferences(klDiv, args, { reduction: 'batchmean' }, ['input', 'target']);
  });
});
