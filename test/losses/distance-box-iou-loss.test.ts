import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distanceBoxIouLoss } from '../../src/losses/distance-box-iou-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  batch,
  box,
  expectBoxGradientsMatchFiniteDifferences,
  expectBoxShapeRefusals,
  expectInvertedBoxRefusals,
  pair,
  value,
} from '../helpers/boxes.js';
import { evaluate, expectSumEqualsCountTimesMean, f64, optionPaths } from '../helpers/kernel.js';

const loss: AnyLossDescriptor = distanceBoxIouLoss;

describe('distance_box_iou_loss', () => {
  it('is 1 - IoU + rho^2 / c^2: centre distance over the enclosing diagonal', () => {
    // I = 2, U = 6; centres (1, 1) and (2, 1): rho^2 = 1; enclosing [0, 0, 3, 2]: c^2 = 9 + 4
    const r = evaluate(loss, pair([0, 0, 2, 2], [1, 0, 3, 2]), { eps: 0 });
    expect(value(r)).toBeCloseTo(1 - 1 / 3 + 1 / 13, 15);
    expect(r.lossShape).toEqual([]);
  });

  it('has d loss / d x1 = -1/9 - 7/169 for that pair', () => {
    // -d IoU = -(I / U^2)·2 = -1/9;  d(rho^2 / c^2) = (-1·13 - 1·(-6)) / 13^2 = -7/169
    const r = evaluate(loss, pair([0, 0, 2, 2], [1, 0, 3, 2]), { eps: 0 }, ['boxes1']);
    expect((r.grads.boxes1 as Float64Array)[0]).toBeCloseTo(-1 / 9 - 7 / 169, 15);
  });

  it('is 1 + rho^2 / c^2 for boxes that do not overlap, whether they share an edge or not', () => {
    expect(value(evaluate(loss, pair([0, 0, 1, 1], [1, 0, 2, 1]), { eps: 0 }))).toBeCloseTo(1 + 1 / 5, 15);
    expect(value(evaluate(loss, pair([0, 0, 1, 1], [3, 0, 4, 1]), { eps: 0 }))).toBeCloseTo(1 + 9 / 17, 15);
  });

  it('is 1 - A / (A + eps) for identical boxes', () => {
    expect(value(evaluate(loss, pair([0, 0, 2, 2], [0, 0, 2, 2])))).toBeCloseTo(1 - 4 / (4 + 1e-7), 20);
    expect(value(evaluate(loss, pair([0, 0, 2, 2], [0, 0, 2, 2]), { eps: 0 }))).toBe(0);
  });

  it('splits the gradient half and half at ties, so identical boxes get identical gradients', () => {
    const b = [1.5, -2, 4.25, 3];
    const r = evaluate(loss, pair(b, b), {}, ['boxes1', 'boxes2']);
    expect([...(r.grads.boxes2 as Float64Array)]).toEqual([...(r.grads.boxes1 as Float64Array)]);
  });

  it('stays finite with eps > 0 for a zero-area box, and is 0/0 = NaN with eps = 0', () => {
    const args = pair([1, 1, 1, 1], [1, 1, 1, 1]);
    expect(value(evaluate(loss, args, {}, ['boxes1']))).toBe(1);
    expect(value(evaluate(loss, args, { eps: 0 }))).toBeNaN();
  });

  it('returns one loss per pair for "none" (the default), 0 for the mean of no boxes', () => {
    const r = evaluate(
      loss,
      batch([
        [
          [0, 0, 1, 1],
          [2, 0, 3, 1],
        ],
        [
          [0, 0, 1, 1],
          [1, 0, 2, 1],
        ],
      ]),
      { eps: 0 },
    );
    expect(r.lossShape).toEqual([2]);
    expect((r.loss as Float64Array)[1]).toBeCloseTo(1 + 1 / 5, 15); // touching boxes: centres 1 apart, c^2 = 5
    const empty = { boxes1: f64([0, 4], []), boxes2: f64([0, 4], []) };
    expect(evaluate(loss, empty, { reduction: 'mean' }).loss).toBe(0);
    expect(evaluate(loss, empty, { reduction: 'sum' }).loss).toBe(0);
  });

  it('propagates a NaN coordinate instead of refusing it', () => {
    const r = evaluate(loss, pair([Number.NaN, 0, 1, 1], [0, 0, 1, 1]), {}, ['boxes1']);
    expect(value(r)).toBeNaN();
  });

  it('refuses boxes that are not (N, 4) or (4,), and shapes that differ', () => {
    expectBoxShapeRefusals(loss);
  });

  it('refuses a box with x2 < x1 or y2 < y1, naming the box', () => {
    expectInvertedBoxRefusals(loss);
  });

  it('refuses eps < 0 and accepts eps = 0', () => {
    expect(optionPaths(loss, { eps: -1e-3 })).toEqual(['/eps']);
    expect(loss.options.safeParse({ eps: 0 }).success).toBe(true);
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(box, box), { minLength: 1, maxLength: 10 }), (pairs) => {
        expectSumEqualsCountTimesMean(loss, batch(pairs), pairs.length);
      }),
    );
  });

  it('has gradients for both boxes that agree with central finite differences', () => {
    expectBoxGradientsMatchFiniteDifferences(loss);
  });
});
