import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { poly1CrossEntropy } from '../../src/losses/poly1-cross-entropy.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  i32,
  optionPaths,
  refusal,
} from '../helpers/kernel.js';

const loss: AnyLossDescriptor = poly1CrossEntropy;
const LN2 = Math.log(2);

describe('poly1_cross_entropy', () => {
  it('is cross-entropy plus epsilon (1 - p_t): log 2 + 1/2 for two equal logits', () => {
    const r = evaluate(loss, { input: f64([1, 2], [0, 0]), target: i32([1], [0]) }, {}, ['input']);
    expect(r.loss).toBeCloseTo(LN2 + 0.5, 15);
    // (s - q) - eps s (q - p_t) = [-1/2, 1/2] - 1/2 [1/2, -1/2]
    const g = r.grads.input as Float64Array;
    expect(g[0]).toBeCloseTo(-0.75, 15);
    expect(g[1]).toBeCloseTo(0.75, 15);
  });

  it('uses softmax probability p_t = 3/4 for logits (log 3, 0)', () => {
    const r = evaluate(loss, { input: f64([2], [Math.log(3), 0]), target: i32([], [0]) }, { reduction: 'none' }, [
      'input',
    ]);
    expect(r.lossShape).toEqual([]);
    expect((r.loss as Float64Array)[0]).toBeCloseTo(Math.log(4 / 3) + 0.25, 15);
    // [-1/4, 1/4] - [3/4 · 1/4, 1/4 · (-3/4)]
    expect([...(r.grads.input as Float64Array)].map((v) => Math.round(v * 1e12) / 1e12)).toEqual([-0.4375, 0.4375]);
  });

  it('is plain cross-entropy when epsilon = 0', () => {
    const r = evaluate(loss, { input: f64([1, 3], [1, 2, 3]), target: i32([1], [2]) }, { epsilon: 0 });
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(r.loss).toBeCloseTo(lse - 3, 15);
  });

  it('smooths the labels in both terms: q = (1 - ls) onehot + ls / C', () => {
    // logits (log 3, 0), ls = 0.2, C = 2: q = (0.9, 0.1), s = (3/4, 1/4)
    const s = [0.75, 0.25];
    const q = [0.9, 0.1];
    const r = evaluate(
      loss,
      { input: f64([1, 2], [Math.log(3), 0]), target: i32([1], [0]) },
      { label_smoothing: 0.2, epsilon: 2 },
      ['input'],
    );
    const ce = 0.8 * -Math.log(0.75) + 0.1 * -(Math.log(0.75) + Math.log(0.25));
    const pt = q[0]! * s[0]! + q[1]! * s[1]!;
    expect(r.loss).toBeCloseTo(ce + 2 * (1 - pt), 14);
    const g = r.grads.input as Float64Array;
    for (const c of [0, 1]) expect(g[c]).toBeCloseTo(s[c]! - q[c]! - 2 * s[c]! * (q[c]! - pt), 14);
  });

  it('treats label_smoothing <= 0 as none', () => {
    const args = { input: f64([1, 3], [0.3, -1, 2]), target: i32([1], [1]) };
    expect(evaluate(loss, args, { label_smoothing: -0.5 }).loss).toBe(evaluate(loss, args).loss);
  });

  it('gives -inf logits zero probability and a NaN row for a NaN logit', () => {
    const inf = Number.NEGATIVE_INFINITY;
    const r = evaluate(
      loss,
      { input: f64([2, 2], [0, inf, Number.NaN, 0]), target: i32([2], [0, 1]) },
      { reduction: 'none' },
      ['input'],
    );
    const l = r.loss as Float64Array;
    expect(l[0]).toBe(0); // p_t = 1, ce = 0
    expect(l[1]).toBeNaN();
    const g = r.grads.input as Float64Array;
    expect([g[0], g[1]]).toEqual([0, 0]);
    expect(g[2]).toBeNaN();
  });

  it('averages over samples, NaN for no samples', () => {
    const empty = { input: f64([0, 3], []), target: i32([0], []) };
    expect(evaluate(loss, empty).loss).toBeNaN();
    expect(evaluate(loss, empty, { reduction: 'sum' }).loss).toBe(0);
  });

  it('refuses a class index out of range, naming the sample', () => {
    expect(refusal(loss, { input: f64([2, 3], [0, 0, 0, 0, 0, 0]), target: i32([2], [0, 3]) })).toMatchObject({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/target/1'],
    });
    expect(refusal(loss, { input: f64([3], [0, 0, 0]), target: i32([], [-1]) })?.paths).toEqual(['/target']);
  });

  it('refuses targets that are not one index per sample, and inputs of rank 0 or 3', () => {
    expect(
      refusal(loss, { input: f64([2, 3], [0, 0, 0, 0, 0, 0]), target: i32([2, 3], [1, 0, 0, 0, 1, 0]) }),
    ).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
    expect(refusal(loss, { input: f64([2, 3], [0, 0, 0, 0, 0, 0]), target: i32([3], [0, 0, 0]) })?.paths).toEqual([
      '/target',
    ]);
    expect(refusal(loss, { input: f64([], [1]), target: i32([], [0]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input'],
    });
    expect(refusal(loss, { input: f64([1, 2, 1], [0, 0]), target: i32([1], [0]) })?.paths).toEqual(['/input']);
    expect(refusal(loss, { input: f64([2, 0], []), target: i32([2], [0, 0]) })?.paths).toEqual(['/input']);
  });

  it('refuses epsilon < -1 and label_smoothing > 1', () => {
    expect(optionPaths(loss, { epsilon: -1.5 })).toEqual(['/epsilon']);
    expect(optionPaths(loss, { label_smoothing: 1.1 })).toEqual(['/label_smoothing']);
    expect(optionPaths(loss, { epsilon: -1, label_smoothing: 1 })).toEqual([]);
  });

  const sample = (C: number) =>
    fc.tuple(
      fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: C, maxLength: C }),
      fc.integer({ min: 0, max: C - 1 }),
    );
  const batch = fc
    .integer({ min: 1, max: 5 })
    .chain((C) => fc.tuple(fc.constant(C), fc.array(sample(C), { minLength: 1, maxLength: 4 })));

  function toArgs(C: number, rows: Array<[number[], number]>) {
    return {
      input: f64(
        [rows.length, C],
        rows.flatMap((r) => r[0]),
      ),
      target: i32(
        [rows.length],
        rows.map((r) => r[1]),
      ),
    };
  }

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(batch, ([C, rows]) => {
        expectSumEqualsCountTimesMean(loss, toArgs(C, rows), rows.length);
      }),
    );
  });

  it('has an input gradient that agrees with central finite differences', () => {
    fc.assert(
      fc.property(
        batch,
        fc.double({ min: -1, max: 5, noNaN: true }),
        fc.double({ min: -0.2, max: 1, noNaN: true }),
        fc.constantFrom('none', 'mean', 'sum'),
        ([C, rows], epsilon, label_smoothing, reduction) => {
          const gamma = reduction === 'none' ? Float64Array.from(rows, (_, i) => 1 + i) : null;
          expectGradientsMatchFiniteDifferences(
            loss,
            toArgs(C, rows),
            { epsilon, label_smoothing, reduction },
            ['input'],
            { gamma, g: reduction === 'none' ? 1 : 0.8 },
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
