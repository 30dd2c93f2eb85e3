import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lovaszHingeLoss } from '../../src/losses/lovasz-hinge-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  f64,
  i32,
  optionPaths,
  refusal,
  uniform,
  values,
} from '../helpers/kernel.js';
import { lovaszByEnumeration, lovaszByThresholds, wellSeparated } from '../helpers/lovasz.js';

const loss: AnyLossDescriptor = lovaszHingeLoss;

const image = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.record({
    z: fc.array(uniform(-3, 3), { minLength: n, maxLength: n }),
    y: fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }),
  }),
);

/** The hinge errors relu(1 - z (2y - 1)) the extension is evaluated at. */
const hinge = (z: number[], y: number[]) => z.map((v, i) => Math.max(1 - v * (2 * (y[i] as number) - 1), 0));

describe('lovasz_hinge_loss', () => {
  it('is the Lovász extension of the Jaccard loss at the hinge errors (all orders enumerated)', () => {
    fc.assert(
      fc.property(image, ({ z, y }) => {
        const r = evaluate(loss, { logits: f64([1, z.length], z), labels: i32([1, z.length], y) }, {}, ['logits']);
        const m = hinge(z, y);
        const brute = lovaszByEnumeration(m, y);
        expect(r.loss).toBeCloseTo(brute.value, 12);
        expect(r.loss).toBeCloseTo(lovaszByThresholds(m, y), 12);
        // with distinct positive errors the best order is unique, and the gradient is its
        // increments times -s
        if (!wellSeparated(m, 1e-6)) return;
        const want = brute.slope.map((s, i) => ((m[i] as number) > 0 ? -s * (2 * (y[i] as number) - 1) : 0));
        for (const [i, g] of values(r.grads.logits as Float64Array).entries())
          expect(g).toBeCloseTo(want[i] as number, 12);
      }),
    );
  });

  it('has a gradient that agrees with finite differences away from ties and kinks', () => {
    fc.assert(
      fc.property(
        fc.array(image, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('none', 'mean', 'sum'),
        fc.boolean(),
        (images, reduction, perImage) => {
          const n = Math.min(...images.map((im) => im.z.length));
          const z = images.flatMap((im) => im.z.slice(0, n));
          const y = images.flatMap((im) => im.y.slice(0, n));
          // no two errors 1 - z s within reach of the step (a tie), none near 0 (relu's kink)
          const e = z.map((v, k) => 1 - v * (2 * (y[k] as number) - 1));
          if (perImage) for (let b = 0; b < images.length; b++) fc.pre(wellSeparated(e.slice(b * n, b * n + n), 1e-4));
          else fc.pre(wellSeparated(e, 1e-4));
          const args = { logits: f64([images.length, n], z), labels: i32([images.length, n], y) };
          const count = reduction === 'none' && perImage ? images.length : 1;
          const gamma = reduction === 'none' ? Float64Array.from({ length: count }, (_, i) => 1 + i) : null;
          expectGradientsMatchFiniteDifferences(loss, args, { reduction, per_image: perImage }, ['logits'], {
            h: 1e-7,
            gamma,
            g: reduction === 'none' ? 1 : 1.5,
          });
        },
      ),
      { numRuns: 80 },
    );
  });

  it('breaks ties in the flattened pixel order (a stable sort)', () => {
    // all logits 0: every error is 1; labels (1, 0, 1): ranks follow the pixel order, so the
    // weights are J_1 = 1/2, J_2 - J_1 = 2/3 - 1/2, J_3 - J_2 = 1 - 2/3 at pixels 0, 1, 2
    const r = evaluate(loss, { logits: f64([1, 3], [0, 0, 0]), labels: i32([1, 3], [1, 0, 1]) }, {}, ['logits']);
    expect(r.loss).toBeCloseTo(1, 15);
    const g = values(r.grads.logits as Float64Array);
    expect(g[0]).toBeCloseTo(-1 / 2, 15);
    expect(g[1]).toBeCloseTo(2 / 3 - 1 / 2, 15);
    expect(g[2]).toBeCloseTo(-(1 - 2 / 3), 15);
  });

  it('passes no gradient where the error is exactly 0, and propagates NaN', () => {
    const r = evaluate(loss, { logits: f64([1, 2], [1, -1]), labels: i32([1, 2], [1, 0]) }, {}, ['logits']);
    expect(r.loss).toBe(0);
    expect(values(r.grads.logits as Float64Array)).toEqual([0, 0]);
    const nan = evaluate(loss, { logits: f64([1, 2], [Number.NaN, 2]), labels: i32([1, 2], [1, 1]) }, {}, ['logits']);
    expect(nan.loss).toBeNaN();
  });

  it('averages images, counting an image without pixels as 0; the batch as one image without per_image', () => {
    const z = [2, -0.5, 0.3, 1];
    const y = [1, 0, 255, 255];
    const args = { logits: f64([2, 2], z), labels: i32([2, 2], y) };
    const each = evaluate(loss, args, { ignore: 255, reduction: 'none' });
    expect(each.lossShape).toEqual([2]);
    const per = values(each.loss as Float64Array);
    expect(per[1]).toBe(0);
    expect(per[0]).toBeCloseTo(lovaszByEnumeration(hinge([2, -0.5], [1, 0]), [1, 0]).value, 14);
    expect(evaluate(loss, args, { ignore: 255 }).loss).toBeCloseTo((per[0] as number) / 2, 15);
    expect(evaluate(loss, args, { ignore: 255, reduction: 'sum' }).loss).toBeCloseTo(per[0] as number, 15);
    const whole = evaluate(
      loss,
      { logits: f64([2, 2], [2, -0.5, 0.3, 1]), labels: i32([2, 2], [1, 0, 0, 1]) },
      {
        per_image: false,
        reduction: 'none',
      },
    );
    expect(whole.lossShape).toEqual([]);
    const m = hinge([2, -0.5, 0.3, 1], [1, 0, 0, 1]);
    expect((whole.loss as Float64Array)[0]).toBeCloseTo(lovaszByEnumeration(m, [1, 0, 0, 1]).value, 14);
    // no images: Berman's mean() of nothing is 0
    expect(evaluate(loss, { logits: f64([0, 3], []), labels: i32([0, 3], []) }).loss).toBe(0);
  });

  it('refuses 0-d logits, other label shapes, labels other than 0, 1 and ignore, and bad options', () => {
    expect(refusal(loss, { logits: f64([], [1]), labels: i32([], [1]) })).toMatchObject({ paths: ['/logits'] });
    expect(refusal(loss, { logits: f64([1, 2], [0, 0]), labels: i32([2], [0, 1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/labels'],
    });
    expect(refusal(loss, { logits: f64([2, 2], [0, 0, 0, 0]), labels: i32([2, 2], [0, 1, 2, 0]) })).toMatchObject({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/labels/1/0'],
    });
    expect(refusal(loss, { logits: f64([2], [0, 0]), labels: i32([2], [-1, 1]) }, { ignore: -1 })).toBeNull();
    expect(optionPaths(loss, { ignore: 0.5 })).toEqual(['/ignore']);
    expect(optionPaths(loss, { ignore: '255' })).toEqual(['/ignore']);
    expect(optionPaths(loss, { per_image: 0 })).toEqual(['/per_image']);
  });
});
