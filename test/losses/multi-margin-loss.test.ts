import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { multiMarginLoss as loss } from '../../src/losses/multi-margin-loss.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  i32,
  refusal,
  uniform,
  values,
} from '../helpers/kernel.js';
import { requestRefusal } from '../helpers/request.js';

const score = uniform(-3, 3);

/** A random (N, C) problem whose hinges all stay away from 0. */
const problem = fc.record({ N: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 5 }) }).chain(({ N, C }) =>
  fc.record({
    N: fc.constant(N),
    C: fc.constant(C),
    x: fc.array(score, { minLength: N * C, maxLength: N * C }),
    t: fc.array(fc.integer({ min: 0, max: C - 1 }), { minLength: N, maxLength: N }),
    w: fc.array(uniform(0.1, 3), { minLength: C, maxLength: C }),
    p: fc.constantFrom(1, 2),
    margin: uniform(-1, 2),
  }),
);

function awayFromKinks(x: number[], t: number[], C: number, margin: number): boolean {
  for (let i = 0; i < t.length; i++) {
    const xt = x[i * C + (t[i] as number)] as number;
    for (let j = 0; j < C; j++) {
      if (j !== t[i] && Math.abs(margin - xt + (x[i * C + j] as number)) < 1e-3) return false;
    }
  }
  return true;
}

describe('multi_margin_loss', () => {
  it('sums the hinges margin − x[y] + x[j] over the other classes and divides by C (p = 1)', () => {
    // z = 1 − 1 + 2 = 2 and 1 − 1 + 0.5 = 0.5
    const r = evaluate(loss, { input: f64([3], [1, 2, 0.5]), target: i32([], [0]) }, {}, ['input']);
    expect(r.lossShape).toEqual([]);
    expect(r.loss).toBeCloseTo(2.5 / 3, 15);
    const g = values(r.grads.input as FloatArray);
    expect(g[0]).toBeCloseTo(-2 / 3, 15);
    expect(g[1]).toBeCloseTo(1 / 3, 15);
    expect(g[2]).toBeCloseTo(1 / 3, 15);
  });

  it('squares the hinges for p = 2, with gradient 2z/C', () => {
    const r = evaluate(loss, { input: f64([3], [1, 2, 0.5]), target: i32([], [0]) }, { p: 2 }, ['input']);
    expect(r.loss).toBeCloseTo(4.25 / 3, 15);
    const g = values(r.grads.input as FloatArray);
    expect(g[0]).toBeCloseTo(-5 / 3, 15);
    expect(g[1]).toBeCloseTo(4 / 3, 15);
    expect(g[2]).toBeCloseTo(1 / 3, 15);
  });

  it('scales every hinge of a sample by the weight of its target class', () => {
    const r = evaluate(
      loss,
      { input: f64([3], [1, 2, 0.5]), target: i32([], [0]), weight: f64([3], [2, 10, 10]) },
      {},
      ['input'],
    );
    expect(r.loss).toBeCloseTo(5 / 3, 15);
    expect(values(r.grads.input as FloatArray)[1]).toBeCloseTo(2 / 3, 15);
  });

  it('gives one loss per sample for (N, C) input and averages over the samples', () => {
    const args = { input: f64([2, 2], [0, 0, 3, 0]), target: i32([2], [0, 0]) };
    // sample 0: z = 1, sample 1: z = 1 − 3 = −2
    const none = evaluate(loss, args, { reduction: 'none' });
    expect(none.lossShape).toEqual([2]);
    expect(values(none.loss as FloatArray)).toEqual([0.5, 0]);
    expect(evaluate(loss, args).loss).toBe(0.25);
    expect(evaluate(loss, args, { reduction: 'sum' }).loss).toBe(0.5);
  });

  it('uses any real margin', () => {
    const args = { input: f64([2], [0, 0]), target: i32([1], [1]) };
    expect(evaluate(loss, args, { margin: 2.5 }).loss).toBe(1.25);
    expect(evaluate(loss, args, { margin: -0.5 }).loss).toBe(0);
  });

  it('gives no contribution at the kink z = 0, for p = 1 and p = 2', () => {
    for (const p of [1, 2]) {
      const r = evaluate(loss, { input: f64([2], [1, 0]), target: i32([], [0]) }, { p }, ['input']);
      expect(r.loss).toBe(0);
      expect(values(r.grads.input as FloatArray)).toEqual([0, 0]);
    }
  });

  it('skips a NaN score of another class, and a NaN target score zeroes the sample', () => {
    const other = evaluate(loss, { input: f64([3], [0, Number.NaN, 0.5]), target: i32([], [0]) }, {}, ['input']);
    // only z = 1 − 0 + 0.5 counts
    expect(other.loss).toBeCloseTo(0.5, 15);
    const g = values(other.grads.input as FloatArray);
    expect(g[0]).toBeCloseTo(-1 / 3, 15);
    expect(g[1]).toBe(0);
    expect(g[2]).toBeCloseTo(1 / 3, 15);
    const own = evaluate(loss, { input: f64([3], [Number.NaN, 1, 2]), target: i32([], [0]) }, {}, ['input']);
    expect(own.loss).toBe(0);
    expect(values(own.grads.input as FloatArray)).toEqual([0, 0, 0]);
  });

  it('multiplies the finished gradient row by grad_output, so an infinite one turns zeros into NaN', () => {
    const r = evaluate(
      loss,
      { input: f64([1, 3], [0, 0.5, -5]), target: i32([1], [0]) },
      { reduction: 'none' },
      ['input'],
      { gamma: Float64Array.from([Infinity]) },
    );
    const g = values(r.grads.input as FloatArray);
    expect(g[0]).toBe(-Infinity);
    expect(g[1]).toBe(Infinity);
    expect(g[2]).toBeNaN();
  });

  it('treats a 0-d input as one sample with a single class, which costs nothing', () => {
    const r = evaluate(loss, { input: f64([], [4]), target: i32([], [0]) }, { reduction: 'none' }, ['input']);
    expect(r.lossShape).toEqual([]);
    expect(values(r.loss as FloatArray)).toEqual([0]);
    expect(values(r.grads.input as FloatArray)).toEqual([0]);
  });

  it('returns an empty loss for an empty batch, NaN for its mean and 0 for its sum', () => {
    const args = { input: f64([0, 4], []), target: i32([0], []) };
    const none = evaluate(loss, args, { reduction: 'none' }, ['input']);
    expect(none.lossShape).toEqual([0]);
    expect((none.grads.input as FloatArray).length).toBe(0);
    expect(evaluate(loss, args).loss).toBeNaN();
    expect(evaluate(loss, args, { reduction: 'sum' }).loss).toBe(0);
  });

  it('accepts p = 1 or 2 only (1.0 and 2.0 included)', () => {
    expect(loss.options.safeParse({ p: 2.0 }).success).toBe(true);
    for (const p of [3, 1.5, 0]) expect(loss.options.safeParse({ p }).success).toBe(false);
    const out = requestRefusal(loss, { input: [[1, 2]], target: [0], p: 3 });
    expect(out?.code).toBe('LOSSD_INVALID_OPTION');
    expect(out?.paths[0]).toBe('/p');
  });

  it('refuses inputs of rank 3 and empty class dimensions', () => {
    expect(refusal(loss, { input: f64([1, 2, 2], [1, 2, 3, 4]), target: i32([1], [0]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input'],
    });
    expect(refusal(loss, { input: f64([2, 0], []), target: i32([2], [0, 0]) })).toMatchObject({ paths: ['/input'] });
    expect(refusal(loss, { input: f64([0], []), target: i32([1], [0]) })).toMatchObject({ paths: ['/input'] });
  });

  it('refuses a target whose size is not the number of samples, naming the shapes', () => {
    const bad = refusal(loss, { input: f64([3, 2], [1, 2, 3, 4, 5, 6]), target: i32([4], [0, 0, 0, 0]) });
    expect(bad).toMatchObject({ code: 'LOSSD_SHAPE_MISMATCH', paths: ['/target'] });
    expect(bad?.messages[0]).toMatch(/multi_margin_loss.*\[4\].*\[3,2\]/);
    expect(refusal(loss, { input: f64([1, 2], [1, 2]), target: i32([1, 1], [0]) })).toMatchObject({
      paths: ['/target'],
    });
  });

  it('refuses a class index outside [0, C) at its element', () => {
    expect(refusal(loss, { input: f64([2, 3], [1, 2, 3, 4, 5, 6]), target: i32([2], [0, 3]) })).toMatchObject({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/target/1'],
    });
    expect(refusal(loss, { input: f64([3], [1, 2, 3]), target: i32([], [-1]) })).toMatchObject({ paths: ['/target'] });
  });

  it('refuses a weight that is not 1-D or whose length is not C (a contract note: PyTorch reads out of bounds)', () => {
    const input = f64([1, 3], [1, 2, 3]);
    const target = i32([1], [0]);
    expect(refusal(loss, { input, target, weight: f64([1, 3], [1, 1, 1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/weight'],
    });
    expect(refusal(loss, { input, target, weight: f64([2], [1, 1]) })).toMatchObject({ paths: ['/weight'] });
    expect(refusal(loss, { input, target, weight: f64([4], [1, 1, 1, 1]) })).toMatchObject({ paths: ['/weight'] });
  });

  it('refuses a gradient for the weight', () => {
    const out = requestRefusal(loss, { input: [[1, 2]], target: [0], weight: [1, 1], grad_wrt: ['weight'] });
    expect(out?.code).toBe('LOSSD_GRADIENT_UNAVAILABLE');
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(problem, ({ N, C, x, t, w, p, margin }) => {
        const args = { input: f64([N, C], x), target: i32([N], t), weight: f64([C], w) };
        expectSumEqualsCountTimesMean(loss, args, N, { p, margin });
      }),
    );
  });

  it('has an input gradient that agrees with central finite differences away from the kinks', () => {
    fc.assert(
      fc.property(problem, fc.constantFrom('mean', 'sum', 'none'), ({ N, C, x, t, w, p, margin }, reduction) => {
        fc.pre(awayFromKinks(x, t, C, margin));
        const args = { input: f64([N, C], x), target: i32([N], t), weight: f64([C], w) };
        const gamma = reduction === 'none' ? Float64Array.from({ length: N }, (_, i) => 1.5 - i) : null;
        expectGradientsMatchFiniteDifferences(loss, args, { reduction, p, margin }, ['input'], { gamma });
      }),
      { numRuns: 80 },
    );
  });
});
