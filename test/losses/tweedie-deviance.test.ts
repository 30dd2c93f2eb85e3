import { describe, expect, it } from 'vitest';
import { tweedieDeviance } from '../../src/losses/tweedie-deviance.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  f64,
  optionPaths,
  refusal,
  values,
} from '../helpers/kernel.js';

const loss: AnyLossDescriptor = tweedieDeviance;

/**
 * The unit deviance from its definition, 2 (log f(y; y) - log f(y; mu)) per unit dispersion:
 * 2 ∫_mu^y (y - s) / s^p ds, integrated numerically (Simpson) rather than in closed form.
 */
function devianceByIntegral(y: number, mu: number, p: number): number {
  const steps = 2000;
  const h = (y - mu) / steps;
  const f = (s: number) => (y - s) / s ** p;
  let acc = f(mu) + f(y);
  for (let i = 1; i < steps; i++) acc += (i % 2 === 1 ? 4 : 2) * f(mu + i * h);
  return 2 * ((acc * h) / 3);
}

const y = [0.5, 1.5, 3, 0.8];
const mu = [1.2, 1.1, 2.5, 0.8];

describe('tweedie_deviance', () => {
  it.each([-1.5, 0, 1, 1.5, 2, 3])('is 2 ∫_mu^y (y - s) / s^p ds at power %s', (p) => {
    const r = evaluate(loss, { y_true: f64([4], y), y_pred: f64([4], mu) }, { power: p, reduction: 'none' });
    const got = values(r.loss as Float64Array);
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(devianceByIntegral(y[i] as number, mu[i] as number, p), 9);
    });
  });

  it('is the squared error by default and the Poisson deviance at power 1 with 0 log 0 = 0', () => {
    const r = evaluate(loss, { y_true: f64([2], [1, -2]), y_pred: f64([2], [3, 0.5]) }, { reduction: 'none' });
    expect(values(r.loss as Float64Array)).toEqual([4, 6.25]);
    const poisson = evaluate(
      loss,
      { y_true: f64([1], [0]), y_pred: f64([1], [1.5]) },
      { power: 1, reduction: 'none' },
      ['y_true', 'y_pred'],
    );
    expect((poisson.loss as Float64Array)[0]).toBe(3);
    // at y = 0 the y_true derivative 2 log(y / mu) is -inf; the y_pred one stays 2 (1 - y / mu)
    expect((poisson.grads.y_true as Float64Array)[0]).toBe(Number.NEGATIVE_INFINITY);
    expect((poisson.grads.y_pred as Float64Array)[0]).toBe(2);
  });

  it('is 2 mu^(2-p) / (2-p) at y_true = 0 for 1 < p < 2, with a y_true gradient of -inf', () => {
    const r = evaluate(loss, { y_true: f64([1], [0]), y_pred: f64([1], [2.25]) }, { power: 1.5, reduction: 'none' }, [
      'y_true',
      'y_pred',
    ]);
    expect((r.loss as Float64Array)[0]).toBeCloseTo((2 * 2.25 ** 0.5) / 0.5, 13);
    expect((r.grads.y_true as Float64Array)[0]).toBe(Number.NEGATIVE_INFINITY);
    // 2 mu^(-p) (mu - y) = 2 mu^(1-p)
    expect((r.grads.y_pred as Float64Array)[0]).toBeCloseTo(2 / 1.5, 13);
  });

  it('clips a negative y_true to 0 in the power < 0 form', () => {
    const r = evaluate(loss, { y_true: f64([1], [-1.5]), y_pred: f64([1], [2]) }, { power: -1, reduction: 'none' }, [
      'y_true',
    ]);
    // 2 (0 - y mu^2 / 2 + mu^3 / 3) with y = -1.5, mu = 2
    expect((r.loss as Float64Array)[0]).toBeCloseTo(2 * (1.5 * 2 + 8 / 3), 12);
    // ∂/∂y = 2 (max(y, 0)^2 - mu^2) / 2 = -mu^2
    expect((r.grads.y_true as Float64Array)[0]).toBeCloseTo(-4, 12);
  });

  it.each([-2.084, 0, 1, 1.45, 2, 2.5, 3])('has gradients that agree with finite differences at power %s', (p) => {
    const args = {
      y_true: f64([2, 2], [0.7, 1.9, 2.6, 1.1]),
      y_pred: f64([2, 2], [1.3, 1.2, 2.2, 0.6]),
      sample_weight: f64([2], [0.75, 1.5]),
    };
    for (const reduction of ['mean', 'sum', 'none']) {
      const gamma = reduction === 'none' ? Float64Array.from([1, -0.5, 2, 1.5]) : null;
      expectGradientsMatchFiniteDifferences(
        loss,
        args,
        { power: p, reduction },
        ['y_true', 'y_pred', 'sample_weight'],
        {
          gamma,
          g: reduction === 'none' ? 1 : 0.7,
        },
      );
    }
  });

  it("refuses powers in (0, 1) and values outside each power's domain, at the first bad element", () => {
    expect(optionPaths(loss, { power: 0.5 })).toEqual(['/power']);
    expect(optionPaths(loss, { power: 1 })).toEqual([]);
    const at = (t: number[], p: number[], power: number) =>
      refusal(loss, { y_true: f64([2], t), y_pred: f64([2], p) }, { power })?.paths;
    expect(at([1, 2], [1, -1], -1)).toEqual(['/y_pred/1']);
    expect(at([-3, 2], [1, 1], -1)).toBeUndefined();
    expect(at([1, -1], [1, 1], 1.5)).toEqual(['/y_true/1']);
    expect(at([0, 1], [1, 0], 1)).toEqual(['/y_pred/1']);
    expect(at([0, 1], [1, 1], 2)).toEqual(['/y_true/0']);
    expect(at([1, 1], [1, 0], 3)).toEqual(['/y_pred/1']);
    expect(at([-1, 1], [-2, 1], 0)).toBeUndefined();
  });
});
