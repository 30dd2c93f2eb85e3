import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lovaszSoftmaxLoss } from '../../src/losses/lovasz-softmax-loss.js';
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

const loss: AnyLossDescriptor = lovaszSoftmaxLoss;

/** One image (1, C, 1, W) of W <= 5 pixels and its labels. */
const image = fc.tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 5 })).chain(([C, W]) =>
  fc.record({
    C: fc.constant(C),
    W: fc.constant(W),
    p: fc.array(uniform(0, 1), { minLength: C * W, maxLength: C * W }),
    y: fc.array(fc.integer({ min: 0, max: C - 1 }), { minLength: W, maxLength: W }),
  }),
);

/** Errors |[y = c] - p_c| and the foreground of class c, pixel by pixel. */
function classErrors(p: number[], y: number[], C: number, W: number, c: number) {
  const fg = y.map((v) => (v === c ? 1 : 0));
  const m = fg.map((g, j) => Math.abs(g - (p[c * W + j] as number)));
  expect(C).toBeGreaterThan(c);
  return { fg, m };
}

describe('lovasz_softmax_loss', () => {
  it('is the mean over present classes of the Lovász extension of each class Jaccard loss (orders enumerated)', () => {
    fc.assert(
      fc.property(image, ({ C, W, p, y }) => {
        const args = { probas: f64([1, C, 1, W], p), labels: i32([1, 1, W], y) };
        const r = evaluate(loss, args, {}, ['probas']);
        const present = [...new Set(y)].sort();
        let want = 0;
        const grad = new Array<number>(C * W).fill(0);
        for (const c of present) {
          const { fg, m } = classErrors(p, y, C, W, c);
          const brute = lovaszByEnumeration(m, fg);
          want += brute.value / present.length;
          expect(brute.value).toBeCloseTo(lovaszByThresholds(m, fg), 12);
          fg.forEach((g, j) => {
            grad[c * W + j] = (-Math.sign(g - (p[c * W + j] as number)) * (brute.slope[j] as number)) / present.length;
          });
        }
        expect(r.loss).toBeCloseTo(want, 12);
        const distinct = present.every((c) => wellSeparated(classErrors(p, y, C, W, c).m, 1e-6));
        if (!distinct) return;
        for (const [i, g] of values(r.grads.probas as Float64Array).entries())
          expect(g).toBeCloseTo(grad[i] as number, 12);
      }),
    );
  });

  it('counts the classes as asked: "all" includes absent ones, a list repeats', () => {
    const p = [0.7, 0.2, 0.4, 0.3, 0.8, 0.6];
    const args = { probas: f64([1, 2, 1, 3], p), labels: i32([1, 1, 3], [0, 0, 0]) };
    const class0 = lovaszByEnumeration([0.3, 0.8, 0.6], [1, 1, 1]).value;
    const class1 = lovaszByEnumeration([0.3, 0.8, 0.6], [0, 0, 0]).value;
    expect(evaluate(loss, args).loss).toBeCloseTo(class0, 14);
    expect(evaluate(loss, args, { classes: 'all' }).loss).toBeCloseTo((class0 + class1) / 2, 14);
    expect(evaluate(loss, args, { classes: [1, 1, 0] }).loss).toBeCloseTo((2 * class1 + class0) / 3, 14);
    expect(evaluate(loss, args, { classes: [] }).loss).toBe(0);
  });

  it('reads a rank-3 probas as one sigmoid channel, whose class is named', () => {
    const p = [0.9, 0.2, 0.6, 0.4];
    const y = [1, 0, 1, 1];
    const three = evaluate(loss, { probas: f64([1, 2, 2], p), labels: i32([1, 2, 2], y) }, { classes: [1] });
    const four = evaluate(loss, { probas: f64([1, 1, 2, 2], p), labels: i32([1, 2, 2], y) }, { classes: [1] });
    expect(three.loss).toBe(four.loss);
    const m = y.map((v, j) => Math.abs((v === 1 ? 1 : 0) - (p[j] as number)));
    expect(three.loss).toBeCloseTo(lovaszByEnumeration(m, y).value, 14);
    expect(refusal(loss, { probas: f64([1, 2, 2], p), labels: i32([1, 2, 2], y) })).toMatchObject({
      code: 'LOSSD_INVALID_OPTION',
      paths: ['/classes'],
    });
    expect(refusal(loss, { probas: f64([1, 2, 2], p), labels: i32([1, 2, 2], y) }, { classes: [0, 1] })).toMatchObject({
      paths: ['/classes'],
    });
  });

  it('is 0 with zero gradient for a perfect prediction and for images without pixels', () => {
    const perfect = evaluate(loss, { probas: f64([1, 2, 1, 2], [1, 0, 0, 1]), labels: i32([1, 1, 2], [0, 1]) }, {}, [
      'probas',
    ]);
    expect(perfect.loss).toBe(0);
    expect(values(perfect.grads.probas as Float64Array)).toEqual([0, 0, 0, 0]);
    const p = f64([2, 2, 1, 2], [0.6, 0.3, 0.4, 0.7, 0.5, 0.5, 0.5, 0.5]);
    const ignored = evaluate(
      loss,
      { probas: p, labels: i32([2, 1, 2], [0, 1, 9, 9]) },
      { ignore: 9, per_image: true, reduction: 'none' },
      ['probas'],
    );
    const each = values(ignored.loss as Float64Array);
    expect(each[1]).toBe(0);
    expect(values(ignored.grads.probas as Float64Array).slice(4)).toEqual([0, 0, 0, 0]);
    expect(
      evaluate(loss, { probas: p, labels: i32([2, 1, 2], [0, 1, 9, 9]) }, { ignore: 9, per_image: true }).loss,
    ).toBeCloseTo((each[0] as number) / 2, 15);
    expect(
      evaluate(loss, { probas: f64([0, 3, 2, 2], []), labels: i32([0, 2, 2], []) }, { per_image: true }).loss,
    ).toBe(0);
  });

  it('breaks ties in the flattened pixel order (a stable sort)', () => {
    // class 0 present at pixels 0 and 2, p_0 = 0.5 everywhere: every error is 0.5, ranks follow
    // the pixels, weights J_1 = 1/2, J_2 - J_1 = 2/3 - 1/2, J_3 - J_2 = 1/3; class 1 likewise
    const r = evaluate(
      loss,
      { probas: f64([1, 2, 1, 3], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]), labels: i32([1, 1, 3], [0, 1, 0]) },
      { classes: [0] },
      ['probas'],
    );
    expect(r.loss).toBeCloseTo(0.5, 15);
    const g = values(r.grads.probas as Float64Array);
    expect(g[0]).toBeCloseTo(-1 / 2, 15);
    expect(g[1]).toBeCloseTo(2 / 3 - 1 / 2, 15);
    expect(g[2]).toBeCloseTo(-1 / 3, 15);
    expect(g.slice(3)).toEqual([0, 0, 0]);
  });

  it('has a gradient that agrees with finite differences away from ties and kinks', () => {
    fc.assert(
      fc.property(
        image,
        fc.constantFrom('none', 'mean', 'sum'),
        fc.boolean(),
        ({ C, W, p, y }, reduction, perImage) => {
          // every class's errors distinct (no tie to cross) and none 0 (no kink of |.|)
          for (let c = 0; c < C; c++) {
            const { m } = classErrors(p, y, C, W, c);
            fc.pre(wellSeparated(m, 1e-4));
          }
          const args = { probas: f64([1, C, 1, W], p), labels: i32([1, 1, W], y) };
          const gamma = reduction === 'none' ? Float64Array.from([1.5]) : null;
          expectGradientsMatchFiniteDifferences(
            loss,
            args,
            { reduction, per_image: perImage, classes: 'all' },
            ['probas'],
            {
              h: 1e-7,
              gamma,
              g: reduction === 'none' ? 1 : 0.5,
            },
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it('refuses bad shapes, labels, classes and ignore values', () => {
    const p = f64([1, 3, 1, 2], [0.2, 0.3, 0.3, 0.3, 0.5, 0.4]);
    expect(refusal(loss, { probas: f64([2, 3], [0, 0, 0, 0, 0, 0]), labels: i32([2], [0, 1]) })).toMatchObject({
      paths: ['/probas'],
    });
    expect(refusal(loss, { probas: f64([1, 0, 1, 2], []), labels: i32([1, 1, 2], [0, 0]) })).toMatchObject({
      paths: ['/probas'],
    });
    expect(refusal(loss, { probas: p, labels: i32([1, 2], [0, 1]) })).toMatchObject({ paths: ['/labels'] });
    expect(refusal(loss, { probas: p, labels: i32([1, 1, 2], [0, 3]) })).toMatchObject({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/labels/0/0/1'],
    });
    expect(refusal(loss, { probas: p, labels: i32([1, 1, 2], [0, 255]) }, { ignore: 255 })).toBeNull();
    expect(refusal(loss, { probas: p, labels: i32([1, 1, 2], [0, 1]) }, { classes: [0, 3] })).toMatchObject({
      paths: ['/classes/1'],
    });
    expect(refusal(loss, { probas: p, labels: i32([1, 1, 2], [0, 1]) }, { classes: [0.5] })).toMatchObject({
      paths: ['/classes/0'],
    });
    expect(optionPaths(loss, { classes: 'some' })).toEqual(['/classes']);
    expect(optionPaths(loss, { ignore: 0.5 })).toEqual(['/ignore']);
  });
});
