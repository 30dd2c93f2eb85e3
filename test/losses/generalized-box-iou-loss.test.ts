import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generalizedBoxIouLoss } from '../../src/losses/generalized-box-iou-loss.js';
import type { AnyLossDescriptor, Args } from '../../src/registry/types.js';
import { evaluate, expectGradientsMatchFiniteDifferences, f64, withDefaults } from '../helpers/kernel.js';

const loss: AnyLossDescriptor = generalizedBoxIouLoss;

function refusal(args: Args, opts: Record<string, unknown> = {}) {
  const r = loss.check(args, withDefaults(loss, opts));
  if (r.ok) throw new Error('expected a refusal');
  return { code: r.code, paths: r.issues.map((i) => i.path) };
}

function pair(b1: number[], b2: number[]) {
  return { boxes1: f64([4], b1), boxes2: f64([4], b2) };
}

/** A box (x1, y1, x2, y2) with a positive width and height. */
const box = fc
  .tuple(
    fc.double({ min: -5, max: 5, noNaN: true }),
    fc.double({ min: -5, max: 5, noNaN: true }),
    fc.double({ min: 0.5, max: 4, noNaN: true }),
    fc.double({ min: 0.5, max: 4, noNaN: true }),
  )
  .map(([x, y, w, h]) => [x, y, x + w, y + h]);

/** No coordinate of one box within 1e-3 of a coordinate of the other on the same axis. */
function awayFromKinks([b1, b2]: [number[], number[]]): boolean {
  for (const axis of [0, 1]) {
    for (const i of [axis, axis + 2]) {
      for (const j of [axis, axis + 2]) if (Math.abs((b1[i] as number) - (b2[j] as number)) < 1e-3) return false;
    }
  }
  return true;
}

/** The loss of one unbatched pair as a number (reduction "none" gives a 0-d tensor). */
function value(r: { loss: number | Float64Array | Float32Array }): number {
  return typeof r.loss === 'number' ? r.loss : (r.loss[0] as number);
}

function batch(pairs: Array<[number[], number[]]>) {
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
    expect(refusal({ boxes1: f64([2, 3], [0, 0, 1, 0, 0, 1]), boxes2: f64([2, 3], [0, 0, 1, 0, 0, 1]) })).toEqual({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/boxes1'],
    });
    const rank3 = f64([1, 1, 4], [0, 0, 1, 1]);
    expect(refusal({ boxes1: rank3, boxes2: rank3 }).paths).toEqual(['/boxes1']);
    expect(refusal({ boxes1: f64([4], [0, 0, 1, 1]), boxes2: f64([1, 4], [0, 0, 1, 1]) })).toEqual({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/boxes2'],
    });
  });

  it('refuses a box with x2 < x1 or y2 < y1, naming the box', () => {
    const good = [0, 0, 1, 1];
    expect(
      refusal(
        batch([
          [good, good],
          [[2, 0, 1, 1], good],
        ]),
      ),
    ).toEqual({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/boxes1/1'],
    });
    expect(refusal(pair(good, [0, 1, 1, 0]))).toEqual({ code: 'LOSSD_INVALID_VALUE', paths: ['/boxes2'] });
  });

  it('refuses eps < 0 and accepts eps = 0', () => {
    const r = loss.options.safeParse({ eps: -1e-3 });
    expect(r.success ? [] : r.error.issues.map((i) => i.path)).toEqual([['eps']]);
    expect(loss.options.safeParse({ eps: 0 }).success).toBe(true);
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(box, box), { minLength: 1, maxLength: 10 }), (pairs) => {
        const args = batch(pairs);
        const sum = evaluate(loss, args, { reduction: 'sum' }).loss as number;
        const mean = evaluate(loss, args, { reduction: 'mean' }).loss as number;
        expect(sum).toBeCloseTo(mean * pairs.length, 9);
      }),
    );
  });

  it('has gradients for both boxes that agree with central finite differences', () => {
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
  });
});
