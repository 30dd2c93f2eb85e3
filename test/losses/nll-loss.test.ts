import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nllLoss } from '../../src/losses/nll-loss.js';
import { evaluate, expectGradientsMatchFiniteDifferences, f64, i32, refusal } from '../helpers/kernel.js';
import { requestRefusal } from '../helpers/request.js';

const finite = fc.double({ min: -10, max: 10, noNaN: true });
const positiveWeight = fc.double({ min: 0.1, max: 3, noNaN: true });

/** Plain numbers, -0 kept. */
const list = (a: ArrayLike<number>) => Array.from(a);

/** A random class-index problem: (C) with a 0-d target, (N, C) with (N), or (N, C, d...) with (N, d...). */
const problem = fc
  .record({
    unbatched: fc.boolean(),
    N: fc.integer({ min: 1, max: 3 }),
    C: fc.integer({ min: 1, max: 4 }),
    spatial: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
  })
  .chain(({ unbatched, N, C, spatial }) => {
    const inputShape = unbatched ? [C] : [N, C, ...spatial];
    const targetShape = unbatched ? [] : [N, ...spatial];
    const M = targetShape.reduce((a, b) => a * b, 1);
    return fc.record({
      inputShape: fc.constant(inputShape),
      targetShape: fc.constant(targetShape),
      C: fc.constant(C),
      x: fc.array(finite, { minLength: M * C, maxLength: M * C }),
      // -1 stands for an ignored position; the first position is always counted so W > 0.
      y: fc
        .array(fc.integer({ min: -1, max: C - 1 }), { minLength: M, maxLength: M })
        .map((y) => y.map((k, i) => (i === 0 ? Math.max(k, 0) : k))),
      w: fc.array(positiveWeight, { minLength: C, maxLength: C }),
      gamma: fc.array(finite, { minLength: M, maxLength: M }),
    });
  });

function argsOf(
  p: { inputShape: number[]; targetShape: number[]; x: number[]; y: number[]; w: number[] },
  weighted: boolean,
) {
  return {
    input: f64(p.inputShape, p.x),
    target: i32(
      p.targetShape,
      p.y.map((k) => (k < 0 ? -100 : k)),
    ),
    ...(weighted ? { weight: f64([p.w.length], p.w) } : {}),
  };
}

describe('nll_loss', () => {
  describe('forward', () => {
    it('averages -x[y] over the batch and puts -1/N at each target class', () => {
      const r = evaluate(
        nllLoss,
        { input: f64([2, 3], [-1, -2, -3, -0.5, -1.5, -2.5]), target: i32([2], [2, 0]) },
        {},
        ['input'],
      );
      expect(r.loss).toBe(1.75); // (3 + 0.5) / 2
      expect(list(r.grads.input as Float64Array)).toEqual([0, 0, -0.5, -0.5, 0, 0]);
    });

    it('divides a weighted mean by the weights of the counted targets, not by N', () => {
      const args = {
        input: f64([2, 3], [-1, -2, -3, -0.5, -1.5, -2.5]),
        target: i32([2], [2, 0]),
        weight: f64([3], [1, 2, 3]),
      };
      const mean = evaluate(nllLoss, args, {}, ['input']);
      expect(mean.loss).toBe(9.5 / 4); // (3·3 + 1·0.5) / (3 + 1)
      expect(list(mean.grads.input as Float64Array)).toEqual([0, 0, -0.75, -0.25, 0, 0]);
      expect(evaluate(nllLoss, args, { reduction: 'sum' }).loss).toBe(9.5);
    });

    it('returns the target-shaped per-position losses for "none", scaling the gradient by grad_output', () => {
      const r = evaluate(
        nllLoss,
        { input: f64([2, 2], [-1, -2, -3, -4]), target: i32([2], [1, 0]), weight: f64([2], [2, 0.5]) },
        { reduction: 'none' },
        ['input'],
        { gamma: Float64Array.from([10, 100]) },
      );
      expect(r.lossShape).toEqual([2]);
      expect(list(r.loss as Float64Array)).toEqual([1, 6]); // 0.5·2, 2·3
      expect(list(r.grads.input as Float64Array)).toEqual([0, -5, -200, 0]);
    });

    it('reads an unbatched (C) input with a 0-d target and gives a 0-d "none" loss', () => {
      const r = evaluate(nllLoss, { input: f64([3], [-1, -2, -3]), target: i32([], [1]) }, { reduction: 'none' });
      expect(r.lossShape).toEqual([]);
      expect(list(r.loss as Float64Array)).toEqual([2]);
    });

    it('finds class c of position (n, j) at n·C·d + c·d + j in a spatial (N, C, d) input', () => {
      // input (1, 2, 3): classes are strided by d = 3
      const r = evaluate(
        nllLoss,
        { input: f64([1, 2, 3], [-1, -2, -3, -10, -20, -30]), target: i32([1, 3], [0, 1, 0]) },
        { reduction: 'none' },
        ['input'],
      );
      expect(r.lossShape).toEqual([1, 3]);
      expect(list(r.loss as Float64Array)).toEqual([1, 20, 3]);
      expect(list(r.grads.input as Float64Array)).toEqual([-1, 0, -1, 0, -1, 0]);
    });

    it('reads only x[y]: NaN and -inf in other classes have no effect', () => {
      const r = evaluate(
        nllLoss,
        { input: f64([1, 3], [Number.NaN, -2, Number.NEGATIVE_INFINITY]), target: i32([1], [1]) },
        {},
        ['input'],
      );
      expect(r.loss).toBe(2);
      expect(list(r.grads.input as Float64Array)).toEqual([0, -1, 0]);
    });

    it('gives +inf with a finite gradient for -inf at the target class', () => {
      const r = evaluate(nllLoss, { input: f64([1, 2], [Number.NEGATIVE_INFINITY, 0]), target: i32([1], [0]) }, {}, [
        'input',
      ]);
      expect(r.loss).toBe(Number.POSITIVE_INFINITY);
      expect(list(r.grads.input as Float64Array)).toEqual([-1, 0]);
    });
  });

  describe('ignore_index', () => {
    it('leaves ignored positions out of the sum and of W, with a zero gradient row', () => {
      const r = evaluate(
        nllLoss,
        { input: f64([2, 3], [-1, -2, -3, -0.5, -1.5, -2.5]), target: i32([2], [2, -100]) },
        {},
        ['input'],
      );
      expect(r.loss).toBe(3);
      expect(list(r.grads.input as Float64Array)).toEqual([0, 0, -1, 0, 0, 0]);
    });

    it('ignores a class inside [0, C) when ignore_index names it', () => {
      const r = evaluate(
        nllLoss,
        { input: f64([2, 2], [-1, -2, -3, -4]), target: i32([2], [1, 0]) },
        { ignore_index: 0, reduction: 'none' },
      );
      expect(list(r.loss as Float64Array)).toEqual([2, 0]);
    });

    it('makes an all-ignored mean NaN with an all-zero gradient, and an all-ignored sum 0', () => {
      const args = { input: f64([2, 2], [-1, -2, -3, -4]), target: i32([2], [-100, -100]) };
      const mean = evaluate(nllLoss, args, {}, ['input']);
      expect(mean.loss).toBeNaN();
      expect(list(mean.grads.input as Float64Array)).toEqual([0, 0, 0, 0]);
      expect(evaluate(nllLoss, args, { reduction: 'sum' }).loss).toBe(0);
    });
  });

  describe('degenerate denominators', () => {
    it('gives NaN for a mean whose counted weights sum to 0, with NaN only at each counted (i, y_i)', () => {
      const r = evaluate(
        nllLoss,
        { input: f64([2, 2], [-1, -2, -3, -4]), target: i32([2], [0, 1]), weight: f64([2], [0, 5]) },
        { ignore_index: 1 },
        ['input'],
      );
      expect(r.loss).toBeNaN();
      const g = list(r.grads.input as Float64Array);
      expect(g[0]).toBeNaN(); // 0 · -(1 / 0)
      expect(g.slice(1)).toEqual([0, 0, 0]);
    });

    it('gives NaN for the mean of an empty batch, 0 for its sum and an empty "none" loss', () => {
      const args = { input: { shape: [0, 3], data: new Float64Array(0) }, target: i32([0], []) };
      expect(evaluate(nllLoss, args).loss).toBeNaN();
      expect(evaluate(nllLoss, args, { reduction: 'sum' }).loss).toBe(0);
      const none = evaluate(nllLoss, args, { reduction: 'none' }, ['input']);
      expect(none.lossShape).toEqual([0]);
      expect((none.grads.input as Float64Array).length).toBe(0);
    });
  });

  describe('refusals', () => {
    const x23 = f64([2, 3], [-1, -2, -3, -4, -5, -6]);

    it('refuses a 0-d input at /input', () => {
      expect(refusal(nllLoss, { input: f64([], [1]), target: i32([], [0]) })).toMatchObject({
        code: 'LOSSD_SHAPE_MISMATCH',
        paths: ['/input'],
      });
    });

    it('refuses targets of the wrong rank or batch size at /target', () => {
      const mismatch = { code: 'LOSSD_SHAPE_MISMATCH', paths: ['/target'] };
      expect(refusal(nllLoss, { input: x23, target: i32([3], [0, 1, 2]) })).toMatchObject(mismatch);
      expect(refusal(nllLoss, { input: x23, target: i32([2, 1], [0, 1]) })).toMatchObject(mismatch);
      expect(refusal(nllLoss, { input: x23, target: i32([], [0]) })).toMatchObject(mismatch);
      expect(refusal(nllLoss, { input: f64([3], [-1, -2, -3]), target: i32([1], [0]) })).toMatchObject(mismatch);
      expect(
        refusal(nllLoss, { input: f64([3, 5, 2], new Array(30).fill(0)), target: i32([3], [0, 1, 2]) }),
      ).toMatchObject(mismatch);
      expect(
        refusal(nllLoss, { input: f64([1, 2, 3], new Array(6).fill(0)), target: i32([1, 2], [0, 1]) }),
      ).toMatchObject(mismatch);
    });

    it('refuses a class outside [0, C) that is not ignore_index at /target', () => {
      const invalid = { code: 'LOSSD_INVALID_VALUE', paths: ['/target'] };
      expect(refusal(nllLoss, { input: x23, target: i32([2], [0, 3]) })).toMatchObject(invalid);
      expect(refusal(nllLoss, { input: x23, target: i32([2], [-1, 0]) })).toMatchObject(invalid);
      expect(refusal(nllLoss, { input: x23, target: i32([2], [-1, 0]) }, { ignore_index: -1 })).toBeNull();
    });

    it('refuses a weight that is not 1-D with C elements at /weight', () => {
      const bad = { code: 'LOSSD_SHAPE_MISMATCH', paths: ['/weight'] };
      const target = i32([2], [0, 1]);
      expect(refusal(nllLoss, { input: x23, target, weight: f64([2], [1, 1]) })).toMatchObject(bad);
      expect(
        refusal(nllLoss, {
          input: f64([1, 4], [0, 0, 0, 0]),
          target: i32([1], [0]),
          weight: f64([2, 2], [1, 1, 1, 1]),
        }),
      ).toMatchObject(bad);
      expect(refusal(nllLoss, { input: x23, target, weight: f64([3], [1, 2, 3]) })).toBeNull();
    });

    it('refuses a gradient for target or weight through the request pipeline', () => {
      const body = { input: [[-1, -2]], target: [0], weight: [1, 2] };
      for (const [i, name] of [
        [0, 'target'],
        [0, 'weight'],
      ] as const) {
        expect(requestRefusal(nllLoss, { ...body, grad_wrt: [name] }, 1000)?.paths[0]).toBe(`/grad_wrt/${i}`);
      }
    });

    it('refuses a fractional class index, e.g. a probability-like target', () => {
      expect(requestRefusal(nllLoss, { input: [[-1, -2]], target: [0.7] }, 1000)?.paths[0]).toBe('/target/0');
    });
  });

  describe('properties', () => {
    it('gives sum = W · mean, with W the summed weights of the counted targets', () => {
      fc.assert(
        fc.property(problem, fc.boolean(), (p, weighted) => {
          const args = argsOf(p, weighted);
          const W = p.y.reduce((acc, k) => (k < 0 ? acc : acc + (weighted ? (p.w[k] as number) : 1)), 0);
          const sum = evaluate(nllLoss, args, { reduction: 'sum' }).loss as number;
          const mean = evaluate(nllLoss, args).loss as number;
          expect(Math.abs(sum - W * mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(sum)));
        }),
      );
    });

    it('has input gradients that agree with central finite differences in every reduction and layout', () => {
      fc.assert(
        fc.property(problem, fc.boolean(), fc.constantFrom('mean', 'sum', 'none'), (p, weighted, reduction) => {
          const gamma = reduction === 'none' ? Float64Array.from(p.gamma) : null;
          expectGradientsMatchFiniteDifferences(nllLoss, argsOf(p, weighted), { reduction }, ['input'], {
            gamma,
            g: reduction === 'none' ? 1 : 0.7,
          });
        }),
        { numRuns: 60 },
      );
    });
  });
});
