import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diceLoss } from '../../src/losses/dice-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  optionPaths,
  refusal,
} from '../helpers/kernel.js';

const loss: AnyLossDescriptor = diceLoss;
const noSmoothing = { smooth_nr: 0, smooth_dr: 0 };

describe('dice_loss', () => {
  it('is 1 - 2 Σxy / (Σx + Σy) per sample and channel', () => {
    // x = (1, 0), y = (1, 1): 1 - 2·1 / (1 + 2) = 1/3
    const r = evaluate(loss, { input: f64([1, 1, 2], [1, 0]), target: f64([1, 1, 2], [1, 1]) }, noSmoothing, [
      'input',
      'target',
    ]);
    expect(r.loss).toBeCloseTo(1 / 3, 15);
    // ∂/∂x_j = -2 y_j / D + 2 I / D^2 = -2/3 + 2/9;  ∂/∂y_j = -2 x_j / D + 2/9
    const gx = r.grads.input as Float64Array;
    expect(gx[0]).toBeCloseTo(-4 / 9, 15);
    expect(gx[1]).toBeCloseTo(-4 / 9, 15);
    const gy = r.grads.target as Float64Array;
    expect(gy[0]).toBeCloseTo(-4 / 9, 15);
    expect(gy[1]).toBeCloseTo(2 / 9, 15);
  });

  it('returns an (N, C) tensor for "none", summing over all spatial dimensions', () => {
    // N = 2, C = 1, spatial 2 × 2
    const input = f64([2, 1, 2, 2], [1, 1, 0, 0, 0.5, 0.5, 0.5, 0.5]);
    const target = f64([2, 1, 2, 2], [1, 0, 0, 0, 1, 1, 0, 0]);
    const r = evaluate(loss, { input, target }, { ...noSmoothing, reduction: 'none' });
    expect(r.lossShape).toEqual([2, 1]);
    const l = r.loss as Float64Array;
    expect(l[0]).toBeCloseTo(1 - 2 / 3, 15); // I = 1, Σx = 2, Σy = 1
    expect(l[1]).toBeCloseTo(1 - 2 / 4, 15); // I = 1, Σx = 2, Σy = 2
  });

  it('gives 1 - smooth_nr / smooth_dr for a channel empty in both input and target', () => {
    const args = { input: f64([1, 1, 2], [0, 0]), target: f64([1, 1, 2], [0, 0]) };
    expect(evaluate(loss, args).loss).toBe(0);
    expect(evaluate(loss, args, { smooth_nr: 1, smooth_dr: 4 }).loss).toBe(0.75);
    expect(evaluate(loss, args, { smooth_dr: 0 }).loss).toBe(Number.NEGATIVE_INFINITY);
    expect(evaluate(loss, args, noSmoothing).loss).toBeNaN();
    const r = evaluate(loss, args, { smooth_dr: 0 }, ['input']);
    expect([...(r.grads.input as Float64Array)].every(Number.isNaN)).toBe(true);
  });

  it('is 0 for a perfect one-hot prediction', () => {
    const x = f64([1, 2, 2], [1, 0, 0, 1]);
    expect(evaluate(loss, { input: x, target: x }).loss).toBe(0);
  });

  it('averages over N·C values, NaN for an empty batch', () => {
    const empty = { input: f64([0, 3, 2], []), target: f64([0, 3, 2], []) };
    expect(evaluate(loss, empty).loss).toBeNaN();
    expect(evaluate(loss, empty, { reduction: 'sum' }).loss).toBe(0);
  });

  it('refuses inputs without a spatial dimension and targets of another shape', () => {
    expect(
      refusal(loss, { input: f64([2, 3], [0, 0, 0, 0, 0, 0]), target: f64([2, 3], [0, 0, 0, 0, 0, 0]) }),
    ).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input'],
    });
    expect(refusal(loss, { input: f64([1, 2, 2], [0, 0, 0, 0]), target: f64([1, 1, 2], [0, 0]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
  });

  it('refuses negative smoothing terms', () => {
    expect(optionPaths(loss, { smooth_nr: -1e-5 })).toEqual(['/smooth_nr']);
    expect(optionPaths(loss, { smooth_dr: -1 })).toEqual(['/smooth_dr']);
    expect(optionPaths(loss, noSmoothing)).toEqual([]);
  });

  const prob = fc.double({ min: 0.01, max: 1, noNaN: true });
  const volume = fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }))
    .chain(([N, C, S]) =>
      fc.tuple(
        fc.constant<number[]>([N, C, S]),
        fc.array(prob, { minLength: N * C * S, maxLength: N * C * S }),
        fc.array(prob, { minLength: N * C * S, maxLength: N * C * S }),
      ),
    );

  it('gives sum = (N·C) · mean', () => {
    fc.assert(
      fc.property(volume, ([shape, x, y]) => {
        const args = { input: f64(shape, x), target: f64(shape, y) };
        expectSumEqualsCountTimesMean(loss, args, (shape[0] as number) * (shape[1] as number));
      }),
    );
  });

  it('has input and target gradients that agree with central finite differences', () => {
    fc.assert(
      fc.property(volume, fc.constantFrom('none', 'mean', 'sum'), ([shape, x, y], reduction) => {
        const rows = (shape[0] as number) * (shape[1] as number);
        const gamma = reduction === 'none' ? Float64Array.from({ length: rows }, (_, i) => 1 + i / 3) : null;
        expectGradientsMatchFiniteDifferences(
          loss,
          { input: f64(shape, x), target: f64(shape, y) },
          { reduction },
          ['input', 'target'],
          { gamma, g: reduction === 'none' ? 1 : 1.5 },
        );
      }),
      { numRuns: 60 },
    );
  });
});
