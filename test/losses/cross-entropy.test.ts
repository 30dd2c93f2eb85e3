import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossEntropy } from '../../src/losses/cross-entropy.js';
import {
  checkWith,
  evaluate,
  expectGradientsMatchFiniteDifferences,
  f64,
  refusal,
  type TestArgs,
} from '../helpers/kernel.js';
import { requestRefusal } from '../helpers/request.js';

const LN2 = Math.log(2);
const LN3 = Math.log(3);
const LN4 = Math.log(4);
const INF = Number.POSITIVE_INFINITY;

const logit = fc.double({ min: -5, max: 5, noNaN: true });
const positiveWeight = fc.double({ min: 0.1, max: 3, noNaN: true });
const probability = fc.double({ min: 0, max: 1, noNaN: true });
const upstream = fc.double({ min: -3, max: 3, noNaN: true });

/** Plain numbers, -0 kept. */
const list = (a: ArrayLike<number>) => Array.from(a);

function expectClose(actual: ArrayLike<number> | number, expected: number[] | number, tol = 1e-12) {
  const a = typeof actual === 'number' ? [actual] : list(actual);
  const e = typeof expected === 'number' ? [expected] : expected;
  expect(a.length).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const want = e[i] as number;
    const got = a[i] as number;
    if (!(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)))) {
      throw new Error(`element ${i}: got ${got}, expected ${want}`);
    }
  }
}

/** Input shape, target shape (class-index mode) and sizes of one random layout. */
const layout = fc
  .record({
    unbatched: fc.boolean(),
    N: fc.integer({ min: 1, max: 3 }),
    C: fc.integer({ min: 1, max: 4 }),
    spatial: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
  })
  .map(({ unbatched, N, C, spatial }) => {
    const inputShape = unbatched ? [C] : [N, C, ...spatial];
    const positionShape = unbatched ? [] : [N, ...spatial];
    const M = positionShape.reduce((a, b) => a * b, 1);
    return { inputShape, positionShape, C, M };
  });

/** A class-index problem; class -1 stands for ignore_index (-100); the first position is always counted. */
const indexProblem = layout.chain((l) =>
  fc.record({
    l: fc.constant(l),
    x: fc.array(logit, { minLength: l.M * l.C, maxLength: l.M * l.C }),
    y: fc
      .array(fc.integer({ min: -1, max: l.C - 1 }), { minLength: l.M, maxLength: l.M })
      .map((y) => y.map((k, i) => (i === 0 ? Math.max(k, 0) : k))),
    w: fc.array(positiveWeight, { minLength: l.C, maxLength: l.C }),
    gamma: fc.array(upstream, { minLength: l.M, maxLength: l.M }),
  }),
);

/** A probability-target problem (targets need not be normalized). */
const probsProblem = layout.chain((l) =>
  fc.record({
    l: fc.constant(l),
    x: fc.array(logit, { minLength: l.M * l.C, maxLength: l.M * l.C }),
    P: fc.array(probability, { minLength: l.M * l.C, maxLength: l.M * l.C }),
    w: fc.array(positiveWeight, { minLength: l.C, maxLength: l.C }),
    gamma: fc.array(upstream, { minLength: l.M, maxLength: l.M }),
  }),
);

type IndexProblem = { l: { inputShape: number[]; positionShape: number[] }; x: number[]; y: number[]; w: number[] };

function indexArgs(p: IndexProblem, weighted: boolean): TestArgs {
  return {
    input: f64(p.l.inputShape, p.x),
    target: f64(
      p.l.positionShape,
      p.y.map((k) => (k < 0 ? -100 : k)),
    ),
    ...(weighted ? { weight: f64([p.w.length], p.w) } : {}),
  };
}

describe('cross_entropy', () => {
  describe('class-index targets', () => {
    it('is -log softmax(z)[y], with gradient softmax - onehot(y)', () => {
      // softmax([0, ln 3]) = [1/4, 3/4]
      const r = evaluate(crossEntropy, { input: f64([2], [0, LN3]), target: f64([], [0]) }, {}, ['input']);
      expectClose(r.loss as number, LN4);
      expectClose(r.grads.input as Float64Array, [-0.75, 0.75]);
    });

    it('divides a weighted mean by the weights of the counted targets', () => {
      const args = { input: f64([2, 2], [0, 0, 0, 0]), target: f64([2], [0, 1]), weight: f64([2], [1, 3]) };
      const mean = evaluate(crossEntropy, args, {}, ['input']);
      expectClose(mean.loss as number, LN2); // (1·ln 2 + 3·ln 2) / (1 + 3)
      expectClose(mean.grads.input as Float64Array, [-0.125, 0.125, 0.375, -0.375]);
      expectClose(evaluate(crossEntropy, args, { reduction: 'sum' }).loss as number, 4 * LN2);
    });

    it('returns one loss per position for "none", shaped like the target', () => {
      const r = evaluate(
        crossEntropy,
        { input: f64([2, 2, 1], [0, LN3, LN3, 0]), target: f64([2, 1], [1, 1]) },
        { reduction: 'none' },
        ['input'],
        { gamma: Float64Array.from([2, -1]) },
      );
      expect(r.lossShape).toEqual([2, 1]);
      expectClose(r.loss as Float64Array, [Math.log(4 / 3), LN4]);
      expectClose(r.grads.input as Float64Array, [0.5, -0.5, -0.75, 0.75]);
    });

    it('gathers the classes of a spatial position along the class dimension (stride d1···dk)', () => {
      // The (1, 2, 2) input holds two positions whose logit pairs are (0, 10) and (ln 3, 0).
      const r = evaluate(
        crossEntropy,
        { input: f64([1, 2, 2], [0, LN3, 10, 0]), target: f64([1, 2], [1, 0]) },
        { reduction: 'none' },
      );
      expectClose(r.loss as Float64Array, [Math.log1p(Math.exp(-10)), Math.log(4 / 3)]);
    });

    it('refuses a non-integral or non-finite class index at /target', () => {
      const input = f64([2, 2], [0, 0, 0, 0]);
      const invalid = { code: 'LOSSD_INVALID_VALUE', paths: ['/target'] };
      expect(refusal(crossEntropy, { input, target: f64([2], [0.5, 1]) })).toMatchObject(invalid);
      expect(refusal(crossEntropy, { input, target: f64([2], [0, Number.NaN]) })).toMatchObject(invalid);
      expect(refusal(crossEntropy, { input, target: f64([2], [0, INF]) })).toMatchObject(invalid);
    });

    it('refuses a class outside [0, C) unless it is ignore_index', () => {
      const input = f64([2, 2], [0, 0, 0, 0]);
      const invalid = { code: 'LOSSD_INVALID_VALUE', paths: ['/target'] };
      expect(refusal(crossEntropy, { input, target: f64([2], [0, 2]) })).toMatchObject(invalid);
      expect(refusal(crossEntropy, { input, target: f64([2], [-1, 0]) })).toMatchObject(invalid);
      expect(refusal(crossEntropy, { input, target: f64([2], [-1, 0]) }, { ignore_index: -1 })).toBeNull();
    });

    it('makes target and weight not differentiable, with or without label smoothing', () => {
      for (const label_smoothing of [0, 0.3]) {
        const checked = checkWith(
          crossEntropy,
          { input: f64([1, 2], [0, 0]), target: f64([1], [0]), weight: f64([2], [1, 1]) },
          { label_smoothing },
        );
        expect(checked.ok && Object.keys(checked.notDifferentiable ?? {}).sort()).toEqual(['target', 'weight']);
      }
      const out = requestRefusal(crossEntropy, {
        input: [[0, 0]],
        target: [0],
        grad_wrt: ['input', 'weight'],
        weight: [1, 1],
      });
      expect(out?.paths[0]).toBe('/grad_wrt/1');
    });
  });

  describe('label smoothing', () => {
    it('mixes (1 - ε) of the nll term with ε/C of the summed -log softmax', () => {
      // z = [0, ln 3], y = 0, ε = 0.5: (1 - ε)·ln 4 + (ε / 2)·(ln 4 + ln 4/3)
      const r = evaluate(crossEntropy, { input: f64([2], [0, LN3]), target: f64([], [0]) }, { label_smoothing: 0.5 }, [
        'input',
      ]);
      expectClose(r.loss as number, 0.75 * LN4 + 0.25 * Math.log(4 / 3));
      // softmax - (1 - ε) onehot - ε / C
      expectClose(r.grads.input as Float64Array, [-0.5, 0.5]);
    });

    it('divides the smoothing term by the same W as the nll term', () => {
      // ℓ = [ln 2, 3 ln 2], s = [4 ln 2, 4 ln 2], W = 4, ε = 0.5, C = 2
      const args = { input: f64([2, 2], [0, 0, 0, 0]), target: f64([2], [0, 1]), weight: f64([2], [1, 3]) };
      expectClose(evaluate(crossEntropy, args, { label_smoothing: 0.5 }).loss as number, 0.5 * LN2 + 0.5 * LN2);
      expectClose(evaluate(crossEntropy, args, { label_smoothing: 0.5, reduction: 'sum' }).loss as number, 4 * LN2);
    });

    it('keeps only the smoothing term at ε = 1', () => {
      const r = evaluate(crossEntropy, { input: f64([2], [0, LN3]), target: f64([], [0]) }, { label_smoothing: 1 });
      expectClose(r.loss as number, 0.5 * (LN4 + Math.log(4 / 3)));
    });

    it('treats a negative label_smoothing as none', () => {
      const args = { input: f64([2], [0, LN3]), target: f64([], [0]) };
      expect(evaluate(crossEntropy, args, { label_smoothing: -0.5 }).loss).toBe(evaluate(crossEntropy, args).loss);
    });

    it('refuses label_smoothing above 1, even by one ulp, at /label_smoothing', () => {
      const out = requestRefusal(crossEntropy, { input: [[0, 0]], target: [0], label_smoothing: 1.0000000000000002 });
      expect(out?.code).toBe('LOSSD_INVALID_OPTION');
      expect(out?.paths[0]).toBe('/label_smoothing');
    });

    it('gives +inf at a -inf logit but a finite gradient -ε/C · G there', () => {
      const r = evaluate(
        crossEntropy,
        { input: f64([2], [0, Number.NEGATIVE_INFINITY]), target: f64([], [0]) },
        { label_smoothing: 0.1, reduction: 'none' },
        ['input'],
      );
      expect(list(r.loss as Float64Array)).toEqual([INF]);
      expectClose(r.grads.input as Float64Array, [0.05, -0.05]);
    });

    it('equals probability targets holding the one-hot class, when unweighted and nothing is ignored', () => {
      fc.assert(
        fc.property(indexProblem, fc.double({ min: 0.01, max: 1, noNaN: true }), (p, eps) => {
          const y = p.y.map((k) => Math.max(k, 0));
          const { C, M } = p.l;
          // one-hot probabilities laid out like the input: class c of position (n, j) at n·C·d + c·d + j
          const d = p.l.inputShape.length > 2 ? M / (p.l.inputShape[0] as number) : 1;
          const onehot = new Array<number>(M * C).fill(0);
          y.forEach((k, pos) => {
            const n = Math.floor(pos / d);
            onehot[n * C * d + k * d + (pos % d)] = 1;
          });
          const index = evaluate(crossEntropy, indexArgs({ ...p, y }, false), { label_smoothing: eps }, ['input']);
          const probs = evaluate(
            crossEntropy,
            { input: f64(p.l.inputShape, p.x), target: f64(p.l.inputShape, onehot) },
            { label_smoothing: eps },
            ['input'],
          );
          expectClose(index.loss as number, probs.loss as number, 1e-9);
          expectClose(index.grads.input as Float64Array, list(probs.grads.input as Float64Array), 1e-9);
        }),
      );
    });
  });

  describe('ignore_index', () => {
    it('ignores a class inside [0, C) when ignore_index names it', () => {
      const r = evaluate(
        crossEntropy,
        { input: f64([2, 2], [0, LN3, 0, LN3]), target: f64([2], [1, 0]) },
        { ignore_index: 1 },
        ['input'],
      );
      expectClose(r.loss as number, LN4);
      expectClose(r.grads.input as Float64Array, [0, 0, -0.75, 0.75]); // row 0 (class 1) is ignored
    });

    it('makes an all-ignored mean NaN with an all-zero gradient, also with smoothing', () => {
      for (const label_smoothing of [0, 0.2]) {
        const args = { input: f64([2, 2], [0.3, 1, -2, 4]), target: f64([2], [-100, -100]) };
        const mean = evaluate(crossEntropy, args, { label_smoothing }, ['input']);
        expect(mean.loss).toBeNaN();
        expect(list(mean.grads.input as Float64Array)).toEqual([0, 0, 0, 0]);
        expect(evaluate(crossEntropy, args, { label_smoothing, reduction: 'sum' }).loss).toBe(0);
        expect(list(evaluate(crossEntropy, args, { label_smoothing, reduction: 'none' }).loss as Float64Array)).toEqual(
          [0, 0],
        );
      }
    });
  });

  describe('non-finite values and degenerate denominators', () => {
    it('gives NaN rows when the counted weights sum to 0, leaving ignored rows at 0', () => {
      const r = evaluate(
        crossEntropy,
        { input: f64([3, 2], [0, 1, 2, 3, 4, 5]), target: f64([3], [0, 0, 1]), weight: f64([2], [0, 1]) },
        { ignore_index: 1 },
        ['input'],
      );
      expect(r.loss).toBeNaN();
      const g = list(r.grads.input as Float64Array);
      expect(g.slice(0, 4).every(Number.isNaN)).toBe(true);
      expect(g.slice(4)).toEqual([0, 0]);
    });

    it('gives an ignored row NaN gradients under smoothing when a weight is not finite, as PyTorch does', () => {
      // PyTorch masks the ignored smoothing term to 0 and still multiplies that 0 by w[c]:
      // 0 · inf = NaN, spread over the row by the softmax backward. Without smoothing the
      // ignored row never meets the weights and stays 0.
      const args = {
        input: f64([2, 2], [1, 1, 0.5, 0.2]),
        target: f64([2], [-100, 0]),
        weight: f64([2], [INF, 1]),
      };
      const r = evaluate(crossEntropy, args, { label_smoothing: 0.1, reduction: 'none' }, ['input']);
      expect(list(r.loss as Float64Array)).toEqual([0, INF]);
      // PyTorch 1.13: [[nan, nan], [nan, inf]]
      expect(list(r.grads.input as Float64Array)).toEqual([Number.NaN, Number.NaN, Number.NaN, INF]);
      const finite = evaluate(crossEntropy, { ...args, weight: f64([2], [2, 1]) }, { label_smoothing: 0.1 }, ['input']);
      expect(list(finite.grads.input as Float64Array).slice(0, 2)).toEqual([0, 0]);
      const plain = evaluate(crossEntropy, args, { reduction: 'sum' }, ['input']);
      expect(list(plain.grads.input as Float64Array).slice(0, 2)).toEqual([0, 0]);
    });

    it('gives a finite loss and a zero gradient at a -inf logit of another class', () => {
      const r = evaluate(
        crossEntropy,
        { input: f64([1, 3], [0, Number.NEGATIVE_INFINITY, LN3]), target: f64([1], [0]) },
        {},
        ['input'],
      );
      expectClose(r.loss as number, LN4);
      expectClose(r.grads.input as Float64Array, [-0.75, 0, 0.75]);
    });

    it('gives +inf with a finite gradient at a -inf logit of the target class', () => {
      const r = evaluate(crossEntropy, { input: f64([2], [Number.NEGATIVE_INFINITY, 0]), target: f64([], [0]) }, {}, [
        'input',
      ]);
      expect(r.loss).toBe(INF);
      expect(list(r.grads.input as Float64Array)).toEqual([-1, 1]);
    });

    it('makes a row with a NaN or +inf logit, or all -inf logits, NaN in loss and gradient only', () => {
      for (const bad of [
        [Number.NaN, 0],
        [INF, 0],
        [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
      ]) {
        const r = evaluate(
          crossEntropy,
          { input: f64([2, 2], [...bad, 0, LN3]), target: f64([2], [1, 0]) },
          { reduction: 'none' },
          ['input'],
        );
        const loss = list(r.loss as Float64Array);
        const g = list(r.grads.input as Float64Array);
        expect(loss[0]).toBeNaN();
        expectClose(loss[1] as number, LN4);
        expect(g.slice(0, 2).every(Number.isNaN)).toBe(true);
        expectClose(g.slice(2), [-0.75, 0.75]);
      }
    });

    it('is exact for large logits thanks to the max subtraction', () => {
      const r = evaluate(crossEntropy, { input: f64([2], [800, 800 + LN3]), target: f64([], [0]) }, {}, ['input']);
      expectClose(r.loss as number, LN4, 1e-10);
      expectClose(r.grads.input as Float64Array, [-0.75, 0.75], 1e-10);
    });

    it('gives NaN for the mean of an empty batch and 0 for its sum', () => {
      const args = { input: { shape: [0, 3], data: new Float64Array(0) }, target: f64([0], []) };
      expect(evaluate(crossEntropy, args).loss).toBeNaN();
      expect(evaluate(crossEntropy, args, { reduction: 'sum' }).loss).toBe(0);
    });
  });

  describe('probability targets', () => {
    it('is -Σ P log softmax, with gradient softmax - P for the logits and -log softmax for the target', () => {
      const r = evaluate(crossEntropy, { input: f64([2], [0, LN3]), target: f64([2], [0.5, 0.5]) }, {}, [
        'input',
        'target',
      ]);
      expectClose(r.loss as number, 0.5 * LN4 + 0.5 * Math.log(4 / 3));
      expectClose(r.grads.input as Float64Array, [-0.25, 0.25]);
      expectClose(r.grads.target as Float64Array, [LN4, Math.log(4 / 3)]);
    });

    it('differentiates the weight as -Σ_i P log softmax, and weights the logit gradient', () => {
      const r = evaluate(
        crossEntropy,
        { input: f64([2], [0, LN3]), target: f64([2], [0.5, 0.5]), weight: f64([2], [2, 1]) },
        {},
        ['input', 'target', 'weight'],
      );
      expectClose(r.loss as number, LN4 + 0.5 * Math.log(4 / 3));
      // softmax · Σ w P - w P = [1/4 · 1.5 - 1, 3/4 · 1.5 - 0.5]
      expectClose(r.grads.input as Float64Array, [-0.625, 0.625]);
      expectClose(r.grads.target as Float64Array, [2 * LN4, Math.log(4 / 3)]);
      expectClose(r.grads.weight as Float64Array, [0.5 * LN4, 0.5 * Math.log(4 / 3)]);
    });

    it('divides the mean by the number of positions whatever the weights', () => {
      const args = {
        input: f64([2, 2], [0, LN3, 1, 2]),
        target: f64([2, 2], [0.2, 0.9, 1, 0]),
        weight: f64([2], [5, 0.5]),
      };
      const sum = evaluate(crossEntropy, args, { reduction: 'sum' }).loss as number;
      expectClose(evaluate(crossEntropy, args).loss as number, sum / 2);
    });

    it('smooths the target to (1 - ε) P + ε / C, scaling the target gradient by (1 - ε)', () => {
      const r = evaluate(
        crossEntropy,
        { input: f64([2], [0, LN3]), target: f64([2], [1, 0]) },
        { label_smoothing: 0.5 },
        ['input', 'target'],
      );
      expectClose(r.loss as number, 0.75 * LN4 + 0.25 * Math.log(4 / 3));
      expectClose(r.grads.input as Float64Array, [-0.5, 0.5]);
      expectClose(r.grads.target as Float64Array, [0.5 * LN4, 0.5 * Math.log(4 / 3)]);
    });

    it('gives NaN for a zero probability at a -inf logit (0 · -inf)', () => {
      const r = evaluate(crossEntropy, {
        input: f64([2], [0, Number.NEGATIVE_INFINITY]),
        target: f64([2], [1, 0]),
      });
      expect(r.loss).toBeNaN();
    });

    it('refuses ignore_index >= 0 at /ignore_index and accepts every negative one', () => {
      const args = { input: f64([1, 2], [0, 0]), target: f64([1, 2], [0.5, 0.5]) };
      expect(refusal(crossEntropy, args, { ignore_index: 0 })).toMatchObject({
        code: 'LOSSD_INVALID_OPTION',
        paths: ['/ignore_index'],
      });
      expect(refusal(crossEntropy, args, { ignore_index: -1 })).toBeNull();
      expect(refusal(crossEntropy, args)).toBeNull();
    });

    it('keeps target and weight differentiable', () => {
      const checked = checkWith(crossEntropy, {
        input: f64([1, 2], [0, 0]),
        target: f64([1, 2], [0.5, 0.5]),
        weight: f64([2], [1, 1]),
      });
      expect(checked.ok && checked.notDifferentiable).toBeUndefined();
    });
  });

  describe('shape refusals', () => {
    const input = f64([2, 2], [0, 0, 0, 0]);
    const mismatch = { code: 'LOSSD_SHAPE_MISMATCH', paths: ['/target'] };

    it('refuses a 0-d input at /input', () => {
      expect(refusal(crossEntropy, { input: f64([], [0.5]), target: f64([], [0]) })).toMatchObject({
        code: 'LOSSD_SHAPE_MISMATCH',
        paths: ['/input'],
      });
    });

    it('refuses class-index targets of the wrong rank or batch size at /target', () => {
      expect(refusal(crossEntropy, { input, target: f64([2, 3], [0, 1, 0, 1, 0, 1]) })).toMatchObject(mismatch);
      expect(refusal(crossEntropy, { input, target: f64([3], [0, 1, 0]) })).toMatchObject(mismatch);
      expect(refusal(crossEntropy, { input, target: f64([], [0]) })).toMatchObject(mismatch);
      expect(refusal(crossEntropy, { input: f64([3], [0, 0, 0]), target: f64([1], [0]) })).toMatchObject(mismatch);
      expect(
        refusal(crossEntropy, { input: f64([1, 2, 3], [0, 0, 0, 0, 0, 0]), target: f64([1, 2], [0, 1]) }),
      ).toMatchObject(mismatch);
    });

    it('refuses a weight that is not 1-D with C elements at /weight, in both modes', () => {
      const bad = { code: 'LOSSD_SHAPE_MISMATCH', paths: ['/weight'] };
      const x4 = f64([1, 4], [0, 0, 0, 0]);
      expect(refusal(crossEntropy, { input, target: f64([2], [0, 0]), weight: f64([3], [1, 1, 1]) })).toMatchObject(
        bad,
      );
      expect(
        refusal(crossEntropy, { input: x4, target: f64([1], [0]), weight: f64([2, 2], [1, 1, 1, 1]) }),
      ).toMatchObject(bad);
      expect(
        refusal(crossEntropy, { input: x4, target: f64([1, 4], [0, 0, 0, 1]), weight: f64([2, 2], [1, 1, 1, 1]) }),
      ).toMatchObject(bad);
    });
  });

  describe('properties', () => {
    it('gives sum = W · mean with class indices (weights, ignored positions, smoothing)', () => {
      fc.assert(
        fc.property(indexProblem, fc.boolean(), fc.constantFrom(0, 0.25, 1), (p, weighted, label_smoothing) => {
          const args = indexArgs(p, weighted);
          const W = p.y.reduce((acc, k) => (k < 0 ? acc : acc + (weighted ? (p.w[k] as number) : 1)), 0);
          const sum = evaluate(crossEntropy, args, { reduction: 'sum', label_smoothing }).loss as number;
          const mean = evaluate(crossEntropy, args, { label_smoothing }).loss as number;
          expectClose(W * mean, sum, 1e-9);
        }),
      );
    });

    it('gives sum = M · mean with probability targets, M the number of positions', () => {
      fc.assert(
        fc.property(probsProblem, fc.boolean(), (p, weighted) => {
          const args = {
            input: f64(p.l.inputShape, p.x),
            target: f64(p.l.inputShape, p.P),
            ...(weighted ? { weight: f64([p.l.C], p.w) } : {}),
          };
          const sum = evaluate(crossEntropy, args, { reduction: 'sum' }).loss as number;
          const mean = evaluate(crossEntropy, args).loss as number;
          expectClose(p.l.M * mean, sum, 1e-9);
        }),
      );
    });

    it('has logit gradients that agree with finite differences for class indices in every mode', () => {
      fc.assert(
        fc.property(
          indexProblem,
          fc.boolean(),
          fc.constantFrom('mean', 'sum', 'none'),
          fc.constantFrom(0, 0.3, 1),
          (p, weighted, reduction, label_smoothing) => {
            expectGradientsMatchFiniteDifferences(
              crossEntropy,
              indexArgs(p, weighted),
              { reduction, label_smoothing },
              ['input'],
              { gamma: reduction === 'none' ? Float64Array.from(p.gamma) : null, g: reduction === 'none' ? 1 : 0.7 },
            );
          },
        ),
        { numRuns: 80 },
      );
    });

    it('has input, target and weight gradients that agree with finite differences for probability targets', () => {
      fc.assert(
        fc.property(
          probsProblem,
          fc.boolean(),
          fc.constantFrom('mean', 'sum', 'none'),
          fc.constantFrom(0, 0.3, 1),
          (p, weighted, reduction, label_smoothing) => {
            const args = {
              input: f64(p.l.inputShape, p.x),
              target: f64(p.l.inputShape, p.P),
              ...(weighted ? { weight: f64([p.l.C], p.w) } : {}),
            };
            expectGradientsMatchFiniteDifferences(
              crossEntropy,
              args,
              { reduction, label_smoothing },
              weighted ? ['input', 'target', 'weight'] : ['input', 'target'],
              { gamma: reduction === 'none' ? Float64Array.from(p.gamma) : null, g: reduction === 'none' ? 1 : -1.3 },
            );
          },
        ),
        { numRuns: 80 },
      );
    });
  });
});
