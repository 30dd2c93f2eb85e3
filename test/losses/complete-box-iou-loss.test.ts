import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completeBoxIouLoss } from '../../src/losses/complete-box-iou-loss.js';
import { distanceBoxIouLoss } from '../../src/losses/distance-box-iou-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  awayFromKinks,
  batch,
  box,
  expectBoxShapeRefusals,
  expectInvertedBoxRefusals,
  pair,
  value,
} from '../helpers/boxes.js';
import { evaluate, expectSumEqualsCountTimesMean, f64, optionPaths } from '../helpers/kernel.js';

const loss: AnyLossDescriptor = completeBoxIouLoss;
const C4 = 4 / Math.PI ** 2;

/** CIoU's aspect-ratio term v, written out independently of the kernel. */
function aspect(b1: number[], b2: number[]): number {
  const d = Math.atan((b2[2]! - b2[0]!) / (b2[3]! - b2[1]!)) - Math.atan((b1[2]! - b1[0]!) / (b1[3]! - b1[1]!));
  return C4 * d * d;
}

describe('complete_box_iou_loss', () => {
  it('equals DIoU (with eps 1e-7) when both boxes have the same aspect ratio (v = 0)', () => {
    const a = pair([0, 0, 2, 2], [1, 0, 3, 2]);
    const diou = value(evaluate(distanceBoxIouLoss, a));
    expect(value(evaluate(loss, a))).toBe(diou);
    expect(value(evaluate(loss, a))).toBeCloseTo(1 - 2 / (6 + 1e-7) + 1 / (13 + 1e-7), 15);
  });

  it('adds a v with v = (4 / pi^2)(atan(w2 / h2) - atan(w1 / h1))^2 and a = v / (1 - IoU + v + eps)', () => {
    // [0, 0, 2, 2] inside [0, 0, 4, 2]: I = 4, U = 8; centres 1 apart; enclosing diagonal^2 = 20
    const v = C4 * (Math.atan(2) - Math.PI / 4) ** 2;
    const iou = 4 / (8 + 1e-7);
    const a = v / (1 - iou + v + 1e-7);
    const expected = 1 - iou + 1 / (20 + 1e-7) + a * v;
    expect(value(evaluate(loss, pair([0, 0, 2, 2], [0, 0, 4, 2])))).toBeCloseTo(expected, 15);
  });

  it('passes eps only to a, as torchvision 0.14.1 does (IoU and distance keep 1e-7)', () => {
    const v = C4 * (Math.atan(2) - Math.PI / 4) ** 2;
    const iou = 4 / (8 + 1e-7);
    const a = v / (1 - iou + v + 0.1);
    const expected = 1 - iou + 1 / (20 + 1e-7) + a * v;
    expect(value(evaluate(loss, pair([0, 0, 2, 2], [0, 0, 4, 2]), { eps: 0.1 }))).toBeCloseTo(expected, 15);
  });

  it('splits the gradient half and half at ties, so identical boxes get identical gradients', () => {
    const b = [1.5, -2, 4.25, 3];
    const r = evaluate(loss, pair(b, b), {}, ['boxes1', 'boxes2']);
    expect([...(r.grads.boxes2 as Float64Array)]).toEqual([...(r.grads.boxes1 as Float64Array)]);
  });

  it('has a NaN gradient for a zero-height box (w / h) and a NaN loss for a point box', () => {
    const flat = evaluate(loss, pair([1, 1, 3, 1], [0, 0, 2, 2]), {}, ['boxes1']);
    expect(Number.isFinite(value(flat))).toBe(true);
    expect([...(flat.grads.boxes1 as Float64Array)].some(Number.isNaN)).toBe(true);
    expect(value(evaluate(loss, pair([2, 2, 2, 2], [0, 0, 3, 3])))).toBeNaN();
  });

  it('has gradients that agree with central finite differences of DIoU + a v, with a held constant', () => {
    fc.assert(
      fc.property(box, box, (b1, b2) => {
        fc.pre(awayFromKinks([b1, b2]));
        const v0 = aspect(b1, b2);
        fc.pre(v0 > 1e-3);
        const a0 = (value(evaluate(loss, pair(b1, b2))) - value(evaluate(distanceBoxIouLoss, pair(b1, b2)))) / v0;
        const frozen = (p: number[], q: number[]) =>
          value(evaluate(distanceBoxIouLoss, pair(p, q))) + a0 * aspect(p, q);
        const r = evaluate(loss, pair(b1, b2), {}, ['boxes1', 'boxes2']);
        const h = 1e-6;
        for (const [which, grad] of [
          [0, r.grads.boxes1],
          [1, r.grads.boxes2],
        ] as const) {
          for (let k = 0; k < 4; k++) {
            const shift = (delta: number) => {
              const p = [...b1];
              const q = [...b2];
              (which === 0 ? p : q)[k]! += delta;
              return frozen(p, q);
            };
            const numeric = (shift(h) - shift(-h)) / (2 * h);
            expect(Math.abs((grad as Float64Array)[k]! - numeric)).toBeLessThanOrEqual(
              1e-5 * Math.max(1, Math.abs(numeric)),
            );
          }
        }
      }),
      { numRuns: 80 },
    );
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
    expect((r.loss as Float64Array)[1]).toBeCloseTo(1 + 1 / (5 + 1e-7), 15); // touching boxes: centres 1 apart, c^2 = 5
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
});
