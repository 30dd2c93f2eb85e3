import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diceLoss } from '../../src/losses/dice-loss.js';
import { tverskyLoss } from '../../src/losses/tversky-loss.js';
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

const loss: AnyLossDescriptor = tverskyLoss;
const noSmoothing = { smooth_nr: 0, smooth_dr: 0 };

const volume = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }))
  .chain(([N, C, S]) =>
    fc.tuple(
      fc.constant<number[]>([N, C, S]),
      fc.array(uniform(0.01, 0.99), { minLength: N * C * S, maxLength: N * C * S }),
      fc.array(fc.constantFrom(0, 1), { minLength: N * C * S, maxLength: N * C * S }),
    ),
  );

describe('tversky_loss', () => {
  it('puts alpha on the false positives and beta on the false negatives', () => {
    // x = (1, 1, 0), y = (1, 0, 1): tp = 1, fp = 1, fn = 1
    const args = { input: f64([1, 1, 3], [1, 1, 0]), target: f64([1, 1, 3], [1, 0, 1]) };
    expect(evaluate(loss, args, { ...noSmoothing, alpha: 0.2, beta: 0.8 }).loss).toBeCloseTo(1 - 1 / 2, 15);
    // only false positives: x = (1, 1), y = (1, 0): tp = 1, fp = 1, fn = 0
    const fpOnly = { input: f64([1, 1, 2], [1, 1]), target: f64([1, 1, 2], [1, 0]) };
    expect(evaluate(loss, fpOnly, { ...noSmoothing, alpha: 0.25, beta: 4 }).loss).toBeCloseTo(1 - 1 / 1.25, 15);
  });

  it('is the soft Dice loss at alpha = beta = 0.5, with twice the smoothing (dice_loss as the oracle)', () => {
    // 1 - (tp + s) / (tp + (fp + fn) / 2 + s) = 1 - (2 tp + 2 s) / (Σx + Σy + 2 s)
    fc.assert(
      fc.property(volume, fc.constantFrom('none', 'mean', 'sum'), ([shape, x, y], reduction) => {
        const args = { input: f64(shape, x), target: f64(shape, y) };
        const tversky = evaluate(loss, args, { reduction }).loss;
        const dice = evaluate(diceLoss as AnyLossDescriptor, args, {
          reduction,
          smooth_nr: 2e-5,
          smooth_dr: 2e-5,
        }).loss;
        const want = values(typeof dice === 'number' ? [dice] : dice);
        const got = values(typeof tversky === 'number' ? [tversky] : tversky);
        expect(got.length).toBe(want.length);
        for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i] as number, 12);
      }),
    );
  });

  it('gives the same numbers from L1 norms (soft_label) for hard labels and x in [0, 1]', () => {
    fc.assert(
      fc.property(volume, uniform(0, 2), uniform(0, 2), ([shape, x, y], alpha, beta) => {
        const args = { input: f64(shape, x), target: f64(shape, y) };
        const plain = values(evaluate(loss, args, { alpha, beta, reduction: 'none' }).loss as Float64Array);
        const soft = values(
          evaluate(loss, args, { alpha, beta, reduction: 'none', soft_label: true }).loss as Float64Array,
        );
        for (const [i, v] of soft.entries()) expect(v).toBeCloseTo(plain[i] as number, 12);
      }),
    );
  });

  it('sums over the batch with batch = true and drops channel 0 without the background', () => {
    // N = 2, C = 2, one position each
    const input = f64([2, 2, 1], [0.5, 1, 0.5, 0]);
    const target = f64([2, 2, 1], [1, 1, 0, 1]);
    const perSample = evaluate(loss, { input, target }, { ...noSmoothing, reduction: 'none' });
    expect(perSample.lossShape).toEqual([2, 2]);
    const batched = evaluate(loss, { input, target }, { ...noSmoothing, reduction: 'none', batch: true });
    expect(batched.lossShape).toEqual([2]);
    // channel 0: x = (0.5, 0.5), y = (1, 0): tp = 0.5, fp = 0.5, fn = 0.5 → 1 - 0.5 / 1
    // channel 1: x = (1, 0), y = (1, 1): tp = 1, fp = 0, fn = 1 → 1 - 1 / 1.5
    expect(values(batched.loss as Float64Array).map((v) => +v.toFixed(12))).toEqual([0.5, +(1 / 3).toFixed(12)]);
    const noBackground = evaluate(
      loss,
      { input, target },
      { ...noSmoothing, reduction: 'none', batch: true, include_background: false },
    );
    expect(noBackground.lossShape).toEqual([1]);
    expect((noBackground.loss as Float64Array)[0]).toBeCloseTo(1 / 3, 12);
    // one channel: include_background = false is ignored
    const one = { input: f64([1, 1, 2], [0.5, 1]), target: f64([1, 1, 2], [1, 1]) };
    expect(evaluate(loss, one, { include_background: false }).loss).toBe(evaluate(loss, one).loss);
  });

  it('gives 1 - smooth_nr / smooth_dr for an empty channel: 0, -inf or NaN, with NaN gradients', () => {
    const empty = { input: f64([1, 1, 2], [0, 0]), target: f64([1, 1, 2], [0, 0]) };
    expect(evaluate(loss, empty).loss).toBe(0);
    expect(evaluate(loss, empty, { smooth_dr: 0 }).loss).toBe(Number.NEGATIVE_INFINITY);
    expect(evaluate(loss, empty, noSmoothing).loss).toBeNaN();
    const r = evaluate(loss, empty, { smooth_dr: 0 }, ['input', 'target']);
    expect([...(r.grads.input as Float64Array), ...(r.grads.target as Float64Array)].every(Number.isNaN)).toBe(true);
    // no spatial positions at all: every channel is empty
    expect(evaluate(loss, { input: f64([2, 3, 0], []), target: f64([2, 3, 0], []) }).loss).toBe(0);
    // no samples: the mean of nothing is NaN, unless the batch is summed into the channels
    const none = { input: f64([0, 2, 3], []), target: f64([0, 2, 3], []) };
    expect(evaluate(loss, none).loss).toBeNaN();
    expect(values(evaluate(loss, none, { batch: true, reduction: 'none' }).loss as Float64Array)).toEqual([0, 0]);
  });

  it('has input and target gradients that agree with finite differences, in both forms', () => {
    fc.assert(
      fc.property(
        volume,
        fc.constantFrom('none', 'mean', 'sum'),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        ([shape, x, y], reduction, batch, soft, background) => {
          // soft targets keep |x - y| away from its kink at x = y
          const target = y.map((v, i) => (v === 1 ? 0.95 - (i % 3) * 0.1 : 0.05 + (i % 2) * 0.1));
          const args = {
            input: f64(
              shape,
              x.map((v) => (Math.abs(v - 0.5) < 0.1 ? v + 0.3 : v)),
            ),
            target: f64(shape, target),
          };
          const opts = { reduction, batch, soft_label: soft, include_background: background, alpha: 0.3, beta: 0.9 };
          const r = evaluate(loss, args, opts);
          const count = typeof r.loss === 'number' ? 0 : r.loss.length;
          const gamma = reduction === 'none' ? Float64Array.from({ length: count }, (_, i) => 1 + i / 3) : null;
          expectGradientsMatchFiniteDifferences(loss, args, opts, ['input', 'target'], {
            gamma,
            g: reduction === 'none' ? 1 : 1.5,
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses inputs without a spatial dim, other target shapes and negative weights', () => {
    const flat = f64([2, 3], [0, 0, 0, 0, 0, 0]);
    expect(refusal(loss, { input: flat, target: flat })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input'],
    });
    expect(refusal(loss, { input: f64([1, 2, 2], [0, 0, 0, 0]), target: f64([1, 1, 2], [0, 0]) })).toMatchObject({
      paths: ['/target'],
    });
    for (const key of ['alpha', 'beta', 'smooth_nr', 'smooth_dr']) {
      expect(optionPaths(loss, { [key]: -1e-5 })).toEqual([`/${key}`]);
    }
    expect(optionPaths(loss, { batch: 'yes', soft_label: 1, include_background: null })).toEqual([
      '/batch',
      '/include_background',
      '/soft_label',
    ]);
  });
});
