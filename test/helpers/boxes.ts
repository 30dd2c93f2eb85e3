// What the tests of torchvision's three IoU losses (generalized, distance, complete) share:
// box arguments and generators, and the checks of box-iou.ts that all three run.

import fc from 'fast-check';
import { expect } from 'vitest';
import type { FloatArray } from '../../src/numeric/tensor.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import { expectGradientsMatchFiniteDifferences, f64, refusal } from './kernel.js';

/** One unbatched pair of (4,) boxes. */
export function pair(b1: number[], b2: number[]) {
  return { boxes1: f64([4], b1), boxes2: f64([4], b2) };
}

/** A batch of pairs as (N, 4) boxes1 and boxes2. */
export function batch(pairs: Array<[number[], number[]]>) {
  return {
    boxes1: f64(
      [pairs.length, 4],
      pairs.flatMap((p) => p[0]),
    ),
    boxes2: f64(
      [pairs.length, 4],
      pairs.flatMap((p) => p[1]),
    ),
  };
}

/** The loss of one unbatched pair as a number (reduction "none" gives a 0-d tensor). */
export function value(r: { loss: number | FloatArray }): number {
  return typeof r.loss === 'number' ? r.loss : (r.loss[0] as number);
}

/** A box (x1, y1, x2, y2) with a positive width and height. */
export const box = fc
  .tuple(
    fc.double({ min: -5, max: 5, noNaN: true }),
    fc.double({ min: -5, max: 5, noNaN: true }),
    fc.double({ min: 0.5, max: 4, noNaN: true }),
    fc.double({ min: 0.5, max: 4, noNaN: true }),
  )
  .map(([x, y, w, h]) => [x, y, x + w, y + h]);

/** No coordinate of one box within 1e-3 of a coordinate of the other on the same axis. */
export function awayFromKinks([b1, b2]: [number[], number[]]): boolean {
  for (const axis of [0, 1]) {
    for (const i of [axis, axis + 2]) {
      for (const j of [axis, axis + 2]) if (Math.abs((b1[i] as number) - (b2[j] as number)) < 1e-3) return false;
    }
  }
  return true;
}

/** Boxes that are not (N, 4) or (4,) are refused at the first of them, unequal shapes at boxes2. */
export function expectBoxShapeRefusals(loss: AnyLossDescriptor): void {
  expect(
    refusal(loss, { boxes1: f64([2, 3], [0, 0, 1, 0, 0, 1]), boxes2: f64([2, 3], [0, 0, 1, 0, 0, 1]) }),
  ).toMatchObject({ code: 'LOSSD_SHAPE_MISMATCH', paths: ['/boxes1'] });
  const rank3 = f64([1, 1, 4], [0, 0, 1, 1]);
  expect(refusal(loss, { boxes1: rank3, boxes2: rank3 })?.paths).toEqual(['/boxes1']);
  expect(refusal(loss, { boxes1: f64([4], [0, 0, 1, 1]), boxes2: f64([1, 4], [0, 0, 1, 1]) })).toMatchObject({
    code: 'LOSSD_SHAPE_MISMATCH',
    paths: ['/boxes2'],
  });
}

/** A box with x2 < x1 or y2 < y1 is refused at its own path (with its index in a batch). */
export function expectInvertedBoxRefusals(loss: AnyLossDescriptor): void {
  const good = [0, 0, 1, 1];
  expect(
    refusal(
      loss,
      batch([
        [good, good],
        [[2, 0, 1, 1], good],
      ]),
    ),
  ).toMatchObject({
    code: 'LOSSD_INVALID_VALUE',
    paths: ['/boxes1/1'],
  });
  expect(refusal(loss, pair(good, [0, 1, 1, 0]))).toMatchObject({ code: 'LOSSD_INVALID_VALUE', paths: ['/boxes2'] });
}

/** Both box gradients agree with central finite differences, in every reduction, away from the kinks. */
export function expectBoxGradientsMatchFiniteDifferences(loss: AnyLossDescriptor): void {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(box, box).filter(awayFromKinks), { minLength: 1, maxLength: 4 }),
      fc.constantFrom('none', 'mean', 'sum'),
      (pairs, reduction) => {
        const gamma = reduction === 'none' ? Float64Array.from(pairs, (_, i) => 0.5 + i) : null;
        expectGradientsMatchFiniteDifferences(loss, batch(pairs), { reduction }, ['boxes1', 'boxes2'], {
          gamma,
          g: reduction === 'none' ? 1 : 1.3,
        });
      },
    ),
    { numRuns: 80 },
  );
}
