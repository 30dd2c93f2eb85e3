import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generalizedBoxIouLoss } from '../../src/losses/generalized-box-iou-loss.js';
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

const loss: AnyLossDescriptor = generalizedBoxIouLoss;

describe('generalized_box_iou_loss', () => {
  it('is 1 - IoU for overlapping boxes that fill their enclosing box', () => {
    // I = 2, U = 6, enclosing box [0, 0, 3, 2] of area 6 = U
    const r = evaluate(loss, pair([0, 0, 2, 2], [1, 0, 3, 2]), { eps: 0 });
    expect(value(r)).toBeCloseTo(2 / 3, 15);
    expect(r.lossShape).toEqual([]);
  });

  it('adds (area_C - U) / area_C for disjoint boxes, so it exceeds 1', () => {
    // I = 0, U = 2, enclosing box area 3
    expect(value(evaluate(loss, pair([0, 0, 1, 1], [2, 0, 3, 1]), { eps: 0 }))).toBeCloseTo(4 / 3, 15);
  });

  it('counts no intersection for boxes that only share an edge', () => {
    expect(value(evaluate(loss, pair([0, 0, 1, 1], [1, 0, 2, 1]), { eps: 0 }))).toBe(1);
  });

  it('is 1 - A / (A + eps) for identical boxes', () => {
    expect(value(evaluate(loss, pair([0, 0, 2, 2], [0, 0, 2, 2])))).toBeCloseTo(1 - 4 / (4 + 1e-7), 20);
    expect(value(evaluate(loss, pair([0, 0, 2, 2], [0, 0, 2, 2]), { eps: 0 }))).toBe(0);
  });

  it('pulls a disjoint box towards the other one: d loss / d x1 = 1/9', () => {
    // loss = 2 - U / area_C with U = 2 and area_C = 3 - x1: the derivative is -(-1·3 - 2·(-1)) / 9
    const r = evaluate(loss, pair([0, 0, 1, 1], [2, 0, 3, 1]), { eps: 0 }, ['boxes1']);
    expect((r.grads.boxes1 as Float64Array)[0]).toBeCloseTo(1 / 9, 15);
  });

  it('splits the gradient half and half at ties, so identical boxes get identical gradients', () => {
    const b = [1.5, -2, 4.25, 3];
    const r = evaluate(loss, pair(b, b), {}, ['boxes1', 'boxes2']);
    const g1 = [...(r.grads.boxes1 as Float64Array)];
    expect([...(r.grads.boxes2 as Float64Array)]).toEqual(g1);
    expect(g1[2]).toBeCloseTo(-(g1[0] as number), 20);
    expect(g1[3]).toBeCloseTo(-(g1[1] as number), 20);
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
    expect((r.loss as Float64Array)[1]).toBe(1);
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
