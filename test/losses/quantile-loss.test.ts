import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantileLoss } from '../../src/losses/quantile-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  f64,
  optionPaths,
  refusal,
  uniform,
  values,
} from '../helpers/kernel.js';

const loss: AnyLossDescriptor = quantileLoss;

/** The pinball loss written from its definition, alpha max(d, 0) + (1 - alpha) max(-d, 0). */
function pinball(t: number, p: number, alpha: number): number {
  return alpha * Math.max(t - p, 0) + (1 - alpha) * Math.max(p - t, 0);
}

/** numpy.average over samples with the weights, per output, then the plain mean over outputs. */
function sklearnMean(t: number[][], p: number[][], w: number[], alpha: number): number {
  const k = t[0]?.length ?? 0;
  let total = 0;
  for (let j = 0; j < k; j++) {
    let num = 0;
    let den = 0;
    t.forEach((row, i) => {
      num += (w[i] as number) * pinball(row[j] as number, p[i]?.[j] as number, alpha);
      den += w[i] as number;
    });
    total += num / den;
  }
  return total / k;
}

describe('quantile_loss', () => {
  it('is alpha·(y - ŷ) under the truth and (1 - alpha)·(ŷ - y) over it', () => {
    const r = evaluate(
      loss,
      { y_true: f64([3], [2, 2, 2]), y_pred: f64([3], [1, 3, 2]) },
      { alpha: 0.9, reduction: 'none' },
      ['y_pred', 'y_true'],
    );
    expect(values(r.loss as Float64Array).map((v) => +v.toFixed(12))).toEqual([0.9, 0.1, 0]);
    // at ŷ = y scikit-learn's branch d >= 0 holds: the y_pred gradient is -alpha there
    expect(values(r.grads.y_pred as Float64Array).map((v) => +v.toFixed(12))).toEqual([-0.9, 0.1, -0.9]);
    expect(values(r.grads.y_true as Float64Array).map((v) => +v.toFixed(12))).toEqual([0.9, -0.1, 0.9]);
  });

  it('means like scikit-learn: weighted over samples, then plain over outputs', () => {
    const rows = fc.integer({ min: 1, max: 4 }).chain((n) =>
      fc.integer({ min: 1, max: 3 }).chain((k) =>
        fc.record({
          t: fc.array(fc.array(uniform(-5, 5), { minLength: k, maxLength: k }), { minLength: n, maxLength: n }),
          p: fc.array(fc.array(uniform(-5, 5), { minLength: k, maxLength: k }), { minLength: n, maxLength: n }),
          w: fc.array(uniform(0.1, 3), { minLength: n, maxLength: n }),
          alpha: uniform(0, 1),
        }),
      ),
    );
    fc.assert(
      fc.property(rows, ({ t, p, w, alpha }) => {
        const n = t.length;
        const k = t[0]?.length as number;
        const args = { y_true: f64([n, k], t.flat()), y_pred: f64([n, k], p.flat()), sample_weight: f64([n], w) };
        const got = evaluate(loss, args, { alpha }).loss as number;
        expect(got).toBeCloseTo(sklearnMean(t, p, w, alpha), 12);
        const unweighted = evaluate(loss, { y_true: args.y_true, y_pred: args.y_pred }, { alpha }).loss as number;
        expect(unweighted).toBeCloseTo(
          sklearnMean(
            t,
            p,
            w.map(() => 1),
            alpha,
          ),
          12,
        );
      }),
    );
  });

  it('has gradients for y_pred, y_true and sample_weight that agree with finite differences', () => {
    // away from the kink, where central differences are exact
    const args = {
      y_true: f64([3, 2], [1, -2, 0.5, 3, -1, 2]),
      y_pred: f64([3, 2], [0.2, -1, 1.5, 2, 0, 2.4]),
      sample_weight: f64([3], [0.5, 2, 1.25]),
    };
    for (const reduction of ['mean', 'sum', 'none']) {
      const gamma = reduction === 'none' ? Float64Array.from([1, -2, 0.5, 3, 1.5, -1]) : null;
      expectGradientsMatchFiniteDifferences(
        loss,
        args,
        { alpha: 0.3, reduction },
        ['y_pred', 'y_true', 'sample_weight'],
        {
          gamma,
          g: reduction === 'none' ? 1 : 1.5,
        },
      );
    }
  });

  it('returns w·l elementwise for "none" and Σ w·l for "sum", also when the weights sum to 0', () => {
    const args = { y_true: f64([2], [1, 2]), y_pred: f64([2], [0, 0]), sample_weight: f64([2], [0, 3]) };
    expect(values(evaluate(loss, args, { reduction: 'none' }).loss as Float64Array)).toEqual([0, 3]);
    const zero = { ...args, sample_weight: f64([2], [0, 0]) };
    expect(evaluate(loss, zero, { reduction: 'sum' }).loss).toBe(0);
  });

  it('refuses what scikit-learn refuses, naming the element', () => {
    const two = (a: number[], b: number[]) => ({ y_true: f64([2], a), y_pred: f64([2], b) });
    expect(refusal(loss, { y_true: f64([], [1]), y_pred: f64([], [1]) })).toMatchObject({ paths: ['/y_true'] });
    expect(refusal(loss, { y_true: f64([2], [1, 2]), y_pred: f64([2, 1], [1, 2]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/y_pred'],
    });
    expect(refusal(loss, { y_true: f64([0], []), y_pred: f64([0], []) })).toMatchObject({ paths: ['/y_true'] });
    expect(refusal(loss, two([1, Number.NaN], [1, 2]))).toMatchObject({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/y_true/1'],
    });
    expect(
      refusal(loss, { y_true: f64([1, 2], [1, 2]), y_pred: f64([1, 2], [1, Number.POSITIVE_INFINITY]) }),
    ).toMatchObject({ paths: ['/y_pred/0/1'] });
    expect(refusal(loss, { ...two([1, 2], [1, 2]), sample_weight: f64([3], [1, 1, 1]) })).toMatchObject({
      paths: ['/sample_weight'],
    });
    expect(refusal(loss, { ...two([1, 2], [1, 2]), sample_weight: f64([2], [1, -1]) })).toMatchObject({
      paths: ['/sample_weight/1'],
    });
    expect(refusal(loss, { ...two([1, 2], [1, 2]), sample_weight: f64([2], [0, 0]) })).toMatchObject({
      paths: ['/sample_weight'],
    });
    expect(optionPaths(loss, { alpha: 1.5 })).toEqual(['/alpha']);
    expect(optionPaths(loss, { alpha: -0.1 })).toEqual(['/alpha']);
    expect(optionPaths(loss, { alpha: 0 })).toEqual([]);
  });
});
