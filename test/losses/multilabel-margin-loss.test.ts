import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { multilabelMarginLoss as loss } from '../../src/losses/multilabel-margin-loss.js';
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

/** A random (N, C) problem: each row a shuffled label prefix ended by -1 (or full). */
const problem = fc
  .record({ N: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 5 }) })
  .chain(({ N, C }) =>
    fc.record({
      N: fc.constant(N),
      C: fc.constant(C),
      x: fc.array(uniform(-2, 2), { minLength: N * C, maxLength: N * C }),
      rows: fc.array(
        fc.tuple(
          fc.shuffledSubarray([...Array(C).keys()]),
          fc.array(fc.integer({ min: -1, max: C - 1 }), { maxLength: C }),
        ),
        { minLength: N, maxLength: N },
      ),
    }),
  )
  .map(({ N, C, x, rows }) => {
    const t: number[] = [];
    for (const [labels, tail] of rows) {
      const row = [...labels];
      if (row.length < C) row.push(-1);
      while (row.length < C) row.push(tail[row.length] ?? -1);
      t.push(...row);
    }
    return { N, C, x, t };
  });

function awayFromKinks(x: number[], t: number[], C: number): boolean {
  for (let r = 0; r * C < t.length; r++) {
    for (let a = 0; a < C; a++) {
      const j = t[r * C + a] as number;
      if (j < 0) break;
      for (let k = 0; k < C; k++) {
        if (Math.abs(1 - (x[r * C + j] as number) + (x[r * C + k] as number)) < 1e-3) return false;
      }
    }
  }
  return true;
}

describe('multilabel_margin_loss', () => {
  it('sums 1 − (x[j] − x[k]) over label/non-label pairs and divides by C', () => {
    // labels {3, 0} (the 1 after the terminator is ignored), non-labels {1, 2}:
    // z = 0.4, 0.6 (j = 3) and 1.1, 1.3 (j = 0), total 3.4
    const r = evaluate(loss, { input: f64([4], [0.1, 0.2, 0.4, 0.8]), target: i32([4], [3, 0, -1, 1]) }, {}, ['input']);
    expect(r.lossShape).toEqual([]);
    expect(r.loss).toBeCloseTo(3.4 / 4, 15);
    expect(values(r.grads.input as FloatArray)).toEqual([-0.5, 0.5, 0.5, -0.5]);
  });

  it('costs nothing for a row that starts with −1', () => {
    const r = evaluate(
      loss,
      { input: f64([2, 2], [5, -5, 1, 2]), target: i32([2, 2], [-1, 0, -1, 1]) },
      { reduction: 'none' },
      ['input'],
    );
    expect(r.lossShape).toEqual([2]);
    expect(values(r.loss as FloatArray)).toEqual([0, 0]);
    expect(values(r.grads.input as FloatArray)).toEqual([0, 0, 0, 0]);
  });

  it('costs nothing when every class is a label (no non-label to compare with)', () => {
    expect(evaluate(loss, { input: f64([2], [-3, 4]), target: i32([2], [1, 0]) }).loss).toBe(0);
  });

  it('iterates a repeated label each time it appears, though it counts once in the label set', () => {
    // labels [0, 0], set {0}; each iteration has z = 1 for classes 1 and 2
    const r = evaluate(loss, { input: f64([3], [0, 0, 0]), target: i32([3], [0, 0, -1]) }, { reduction: 'sum' }, [
      'input',
    ]);
    expect(r.loss).toBeCloseTo(4 / 3, 15);
    const g = values(r.grads.input as FloatArray);
    expect(g[0]).toBeCloseTo(-4 / 3, 15);
    expect(g[1]).toBeCloseTo(2 / 3, 15);
  });

  it('gives no contribution at the kink z = 0', () => {
    const r = evaluate(loss, { input: f64([2], [1, 0]), target: i32([2], [0, -1]) }, {}, ['input']);
    expect(r.loss).toBe(0);
    expect(values(r.grads.input as FloatArray)).toEqual([0, 0]);
  });

  it('skips a NaN non-label score and zeroes the pairs of a NaN label score', () => {
    const r = evaluate(
      loss,
      { input: f64([2, 3], [0, Number.NaN, 0.5, Number.NaN, 0, 0]), target: i32([2, 3], [0, -1, 0, 0, -1, 0]) },
      { reduction: 'none' },
      ['input'],
    );
    // row 0: only k = 2 counts, z = 1.5; row 1: label 0 is NaN
    expect(values(r.loss as FloatArray)).toEqual([0.5, 0]);
    expect(values(r.grads.input as FloatArray)).toEqual([-1 / 3, 0, 1 / 3, 0, 0, 0]);
  });

  it('averages over the samples, and divides the gradient by N · C', () => {
    const args = { input: f64([2, 2], [0, 0, 0, 0]), target: i32([2, 2], [0, -1, -1, 0]) };
    const r = evaluate(loss, args, {}, ['input']);
    // row 0: z = 1 → 1/2; row 1: no labels
    expect(r.loss).toBe(0.25);
    expect(values(r.grads.input as FloatArray)).toEqual([-0.25, 0.25, 0, 0]);
    expect(evaluate(loss, args, { reduction: 'sum' }).loss).toBe(0.5);
  });

  it('treats a 0-d input as one sample with one class', () => {
    const r = evaluate(loss, { input: f64([], [2]), target: i32([1], [0]) }, { reduction: 'none' });
    expect(r.lossShape).toEqual([]);
    expect(values(r.loss as FloatArray)).toEqual([0]);
  });

  it('returns NaN for the mean and 0 for the sum of an empty batch', () => {
    const args = { input: f64([0, 3], []), target: i32([0, 3], []) };
    expect(evaluate(loss, args).loss).toBeNaN();
    expect(evaluate(loss, args, { reduction: 'sum' }).loss).toBe(0);
    expect(evaluate(loss, args, { reduction: 'none' }).lossShape).toEqual([0]);
  });

  it('refuses a label outside [−1, C), even after the terminator, at its element', () => {
    const input = f64([2, 2], [1, 2, 3, 4]);
    expect(refusal(loss, { input, target: i32([2, 2], [0, -1, -1, 2]) })).toMatchObject({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/target/1/1'],
    });
    expect(refusal(loss, { input, target: i32([2, 2], [0, -2, -1, -1]) })).toMatchObject({ paths: ['/target/0/1'] });
    expect(refusal(loss, { input: f64([2], [1, 2]), target: i32([2], [5, -1]) })).toMatchObject({
      paths: ['/target/0'],
    });
  });

  it('refuses a target whose shape does not match the input, naming both shapes', () => {
    const bad = refusal(loss, { input: f64([2, 2], [1, 2, 3, 4]), target: i32([2, 3], [-1, -1, -1, -1, -1, -1]) });
    expect(bad).toMatchObject({ code: 'LOSSD_SHAPE_MISMATCH', paths: ['/target'] });
    expect(bad?.messages[0]).toMatch(/multilabel_margin_loss.*\[2,3\].*\[2,2\]/);
    expect(refusal(loss, { input: f64([3], [1, 2, 3]), target: i32([2], [0, -1]) })).toMatchObject({
      paths: ['/target'],
    });
  });

  it('refuses inputs of rank 3 and an empty class dimension', () => {
    expect(refusal(loss, { input: f64([1, 1, 2], [1, 2]), target: i32([1, 1, 2], [0, -1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input'],
    });
    expect(refusal(loss, { input: f64([3, 0], []), target: i32([3, 0], []) })).toMatchObject({ paths: ['/input'] });
  });

  it('refuses a gradient for the integer target', () => {
    const out = requestRefusal(loss, { input: [[1, 2]], target: [[0, -1]], grad_wrt: ['target'] });
    expect(out?.paths[0]).toBe('/grad_wrt/0');
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(problem, ({ N, C, x, t }) => {
        expectSumEqualsCountTimesMean(loss, { input: f64([N, C], x), target: i32([N, C], t) }, N);
      }),
    );
  });

  it('has an input gradient that agrees with central finite differences away from the kinks', () => {
    fc.assert(
      fc.property(problem, fc.constantFrom('mean', 'sum', 'none'), ({ N, C, x, t }, reduction) => {
        fc.pre(awayFromKinks(x, t, C));
        const args = { input: f64([N, C], x), target: i32([N, C], t) };
        const gamma = reduction === 'none' ? Float64Array.from({ length: N }, (_, i) => 2 - i) : null;
        expectGradientsMatchFiniteDifferences(loss, args, { reduction }, ['input'], { gamma });
      }),
      { numRuns: 80 },
    );
  });
});
