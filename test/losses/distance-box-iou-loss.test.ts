import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distanceBoxIouLoss } from '../../src/losses/distance-box-iou-loss.js';
import type { AnyLossDescriptor, Args } from '../../src/registry/types.js';
import { evaluate, expectGradientsMatchFiniteDifferences, f64, withDefaults } from '../helpers/kernel.js';

const loss: AnyLossDescriptor = distanceBoxIouLoss;

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
