import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logCoshLoss } from '../../src/losses/log-cosh-loss.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  pairArgs,
  refusal,
} from '../helpers/kernel.js';

const finite = fc.double({ min: -10, max: 10, noNaN: true });

describe('log_cosh_loss', () => {
  it('is log(cosh(x - y)), averaged by default', () => {
    const r = evaluate(logCoshLoss, { input: f64([2], [1, 0]), target: f64([2], [0, 0]) });
    expect(r.loss).toBeCloseTo(Math.log(Math.cosh(1)) / 2, 15);
  });

  it('has gradient tanh(d) for input and -tanh(d) for target, 0 where they are equal', () => {
    const r = evaluate(
      logCoshLoss,
      { input: f64([3], [1, -2, 0.5]), target: f64([3], [0, 0, 0.5]) },
      { reduction: 'none' },
      ['input', 'target'],
    );
    const gx = r.grads.input as Float64Array;
    const gy = r.grads.target as Float64Array;
    expect(gx[0]).toBeCloseTo(Math.tanh(1), 15);
    expect(gx[1]).toBeCloseTo(Math.tanh(-2), 15);
    expect(gx[2]).toBe(0);
    expect(gy[0]).toBeCloseTo(-Math.tanh(1), 15);
    expect(Math.abs(gy[2] as number)).toBe(0);
  });

  it('is |d| - log 2 for differences where cosh overflows, with gradient ±1', () => {
    const r = evaluate(
      logCoshLoss,
      { input: f64([3], [1000, -1e300, 800]), target: f64([3], [0, 0, 0]) },
      { reduction: 'none' },
      ['input'],
    );
    expect([...(r.loss as Float64Array)]).toEqual([1000 - Math.LN2, 1e300, 800 - Math.LN2]);
    expect([...(r.grads.input as Float64Array)]).toEqual([1, -1, 1]);
  });

  it('is d^2 / 2 near 0, to the absolute precision of the log 2 cancellation', () => {
    const r = evaluate(logCoshLoss, { input: f64([1], [1e-4]), target: f64([1], [0]) }, { reduction: 'sum' });
    expect(r.loss as number).toBeCloseTo(0.5e-8, 15);
  });

  it('gives inf with gradient ±1 for an infinite difference, NaN for inf - inf', () => {
    const inf = Number.POSITIVE_INFINITY;
    const r = evaluate(
      logCoshLoss,
      { input: f64([3], [inf, -inf, inf]), target: f64([3], [0, 0, inf]) },
      { reduction: 'none' },
      ['input'],
    );
    const loss = r.loss as Float64Array;
    expect(loss[0]).toBe(inf);
    expect(loss[1]).toBe(inf);
    expect(loss[2]).toBeNaN();
    const g = r.grads.input as Float64Array;
    expect([g[0], g[1]]).toEqual([1, -1]);
    expect(g[2]).toBeNaN();
  });

  it('broadcasts input (3, 1) against target (1, 2) and sums the gradient back', () => {
    const r = evaluate(
      logCoshLoss,
      { input: f64([3, 1], [1, 0, -1]), target: f64([1, 2], [0, 1]) },
      { reduction: 'none' },
      ['input', 'target'],
    );
    expect(r.lossShape).toEqual([3, 2]);
    const t1 = Math.tanh(1);
    const t2 = Math.tanh(2);
    const gx = r.grads.input as Float64Array;
    expect(gx[0]).toBeCloseTo(t1 + 0, 15); // d = 1, 0
    expect(gx[1]).toBeCloseTo(0 - t1, 15); // d = 0, -1
    expect(gx[2]).toBeCloseTo(-t1 - t2, 15); // d = -1, -2
    const gy = r.grads.target as Float64Array;
    expect(gy[0]).toBeCloseTo(-(t1 + 0 - t1), 15);
    expect(gy[1]).toBeCloseTo(-(0 - t1 - t2), 15);
  });

  it('refuses shapes that do not broadcast, at /target', () => {
    expect(refusal(logCoshLoss, { input: f64([2], [1, 2]), target: f64([3], [1, 2, 3]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(finite, finite), { minLength: 1, maxLength: 20 }), (pairs) => {
        expectSumEqualsCountTimesMean(logCoshLoss, pairArgs(pairs), pairs.length);
      }),
    );
  });

  it('has gradients that agree with central finite differences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(finite, finite), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('none', 'mean', 'sum'),
        (pairs, reduction) => {
          const gamma = reduction === 'none' ? Float64Array.from(pairs, (_, i) => 1 - i / 4) : null;
          expectGradientsMatchFiniteDifferences(logCoshLoss, pairArgs(pairs), { reduction }, ['input', 'target'], {
            gamma,
            g: reduction === 'none' ? 1 : 0.6,
          });
        },
      ),
      { numRuns: 50 },
    );
  });
});
