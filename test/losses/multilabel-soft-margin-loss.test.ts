import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { multilabelSoftMarginLoss as loss } from '../../src/losses/multilabel-soft-margin-loss.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  refusal,
  uniform,
  values,
} from '../helpers/kernel.js';

const LN2 = Math.log(2);
const LN3 = Math.log(3);

const logit = uniform(-6, 6);
const prob = uniform(-0.5, 1.5);
const positive = uniform(0.1, 3);

/** A random (N, C) problem with a (C) weight. */
const problem = fc.record({ N: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 4 }) }).chain(({ N, C }) =>
  fc.record({
    N: fc.constant(N),
    C: fc.constant(C),
    x: fc.array(logit, { minLength: N * C, maxLength: N * C }),
    y: fc.array(prob, { minLength: N * C, maxLength: N * C }),
    w: fc.array(positive, { minLength: C, maxLength: C }),
  }),
);

describe('multilabel_soft_margin_loss', () => {
  it('averages the per-class logistic losses over the classes, with gradient (σ(x) − y)/C and −x/C', () => {
    // x = ln 3: σ = 3/4, e = -ln(3/4) = ln(4/3) for y = 1; x = 0: e = ln 2 for y = 0.
    const r = evaluate(loss, { input: f64([2], [LN3, 0]), target: f64([2], [1, 0]) }, {}, ['input', 'target']);
    expect(r.lossShape).toEqual([]);
    expect(r.loss).toBeCloseTo((Math.log(4 / 3) + LN2) / 2, 15);
    const gx = values(r.grads.input as FloatArray);
    expect(gx[0]).toBeCloseTo((0.75 - 1) / 2, 15);
    expect(gx[1]).toBeCloseTo(0.5 / 2, 15);
    const gy = values(r.grads.target as FloatArray);
    expect(gy[0]).toBeCloseTo(-LN3 / 2, 15);
    expect(gy[1]).toBeCloseTo(0, 15);
  });

  it('weights each class, and the weight gradient is the unweighted class loss over C', () => {
    const r = evaluate(loss, { input: f64([2], [LN3, 0]), target: f64([2], [1, 0]), weight: f64([2], [2, 0]) }, {}, [
      'input',
      'weight',
    ]);
    expect(r.loss).toBeCloseTo(Math.log(4 / 3), 15);
    expect(values(r.grads.input as FloatArray)[0]).toBeCloseTo(-0.25, 15);
    expect(values(r.grads.input as FloatArray)[1]).toBe(0);
    const gw = values(r.grads.weight as FloatArray);
    expect(gw[0]).toBeCloseTo(Math.log(4 / 3) / 2, 15);
    expect(gw[1]).toBeCloseTo(LN2 / 2, 15);
  });

  it('keeps the classes on the last axis: (N, d, C) gives one loss per (N, d) position', () => {
    // every logit 0: each class costs ln 2 whatever the target, so every sample costs ln 2
    const input = f64([2, 3, 4], new Array(24).fill(0));
    const target = f64([2, 3, 4], new Array(24).fill(1));
    const r = evaluate(loss, { input, target }, { reduction: 'none' });
    expect(r.lossShape).toEqual([2, 3]);
    for (const v of values(r.loss as FloatArray)) expect(v).toBeCloseTo(LN2, 15);
  });

  it('broadcasts a (C) weight over the batch and sums its gradient over the rows', () => {
    const input = f64([2, 2], [0, 0, 0, 0]);
    const target = f64([2, 2], [1, 0, 0, 1]);
    const r = evaluate(loss, { input, target, weight: f64([2], [1, 3]) }, { reduction: 'sum' }, ['weight']);
    // two samples, each (1·ln 2 + 3·ln 2) / 2
    expect(r.loss).toBeCloseTo(4 * LN2, 14);
    // each row contributes e/C = ln 2 / 2 to each class weight
    for (const v of values(r.grads.weight as FloatArray)) expect(v).toBeCloseTo(LN2, 15);
  });

  it('counts the class axis from the left when a target with more dimensions enlarges the shape', () => {
    // input (2), target (3, 2): the broadcast is (3, 2), the sum runs over axis 0 (size 3), C = 2
    const r = evaluate(
      loss,
      { input: f64([2], [0, 0]), target: f64([3, 2], [1, 0, 0, 1, 1, 1]) },
      { reduction: 'none' },
      ['input'],
    );
    expect(r.lossShape).toEqual([2]);
    for (const v of values(r.loss as FloatArray)) expect(v).toBeCloseTo((3 * LN2) / 2, 15);
    // Σ over the 3 rows of (σ(0) − y)/2: class 0 has y = 1, 0, 1; class 1 has y = 0, 1, 1
    expect(values(r.grads.input as FloatArray)).toEqual([-0.25, -0.25]);
  });

  it('uses the stable log-sigmoid, so a confident wrong logit costs its magnitude', () => {
    const r = evaluate(loss, { input: f64([1, 2], [900, -900]), target: f64([1, 2], [0, 1]) }, { reduction: 'none' }, [
      'input',
    ]);
    expect(values(r.loss as FloatArray)).toEqual([900]);
    expect(values(r.grads.input as FloatArray)).toEqual([0.5, -0.5]);
  });

  it('gives NaN for x = +inf with y = 1 (0 · log σ(−inf)), as PyTorch does', () => {
    const r = evaluate(loss, { input: f64([1], [Infinity]), target: f64([1], [1]) });
    expect(r.loss).toBeNaN();
  });

  it('keeps the gradient in the distributed form, so an infinite weight gives inf − inf = NaN', () => {
    const r = evaluate(loss, { input: f64([1], [0]), target: f64([1], [0.5]), weight: f64([1], [Infinity]) }, {}, [
      'input',
    ]);
    expect(values(r.grads.input as FloatArray)[0]).toBeNaN();
  });

  it('sums a broadcast input before logσ’s backward, as PyTorch does', () => {
    // input (1, 2) against target (0, 2): the empty sums still meet σ(NaN), so PyTorch gives NaN
    const empty = evaluate(
      loss,
      { input: f64([1, 2], [Number.NaN, 1]), target: f64([0, 2], []) },
      { reduction: 'none' },
      ['input'],
    );
    expect(values(empty.grads.input as FloatArray)).toEqual([Number.NaN, 0]);
    // and over real rows it is σ(x)·Σ H(1 - y) - σ(-x)·Σ H·y (PyTorch: [-0.0051, nan] with w = [2, inf])
    const r = evaluate(
      loss,
      {
        input: f64([1, 2], [0.5, -1]),
        target: f64([2, 2], [1, 0, 0.25, 1]),
        weight: f64([2], [2, Number.POSITIVE_INFINITY]),
      },
      { reduction: 'sum' },
      ['input'],
    );
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const g = values(r.grads.input as FloatArray);
    expect(g[0]).toBeCloseTo((s(0.5) * (2 * 0.75)) / 2 - (s(-0.5) * (2 * 1.25)) / 2, 14);
    expect(g[1]).toBeNaN();
  });

  it('takes input and target gradients before the weight when the weight enlarges the shape, as PyTorch does', () => {
    // weight (2, 0) against input (2, 1) and target (1, 1): PyTorch sums the empty upstream of
    // loss * weight to 0 at the (2, 1) unweighted loss, then 0·(1 − y) = NaN for y = −inf.
    // PyTorch 1.13.1 (float64, sum, grad_output −1.939, generator case seed2-398):
    // loss 0, grad input = [nan, nan], grad target = [0]
    const r = evaluate(
      loss,
      {
        input: f64([2, 1], [-0.32885904326123494, -1.5371775832722772]),
        target: f64([1, 1], [Number.NEGATIVE_INFINITY]),
        weight: f64([2, 0], []),
      },
      { reduction: 'sum' },
      ['input', 'target', 'weight'],
      { g: -1.939 },
    );
    expect(r.loss).toBe(0);
    expect(values(r.grads.input as FloatArray)).toEqual([Number.NaN, Number.NaN]);
    expect(values(r.grads.target as FloatArray)).toEqual([0]);
    // input +inf: the target gradient 0·logσ(−inf) = NaN (PyTorch 1.13.1: grad target = [nan, 0])
    const t = evaluate(
      loss,
      { input: f64([2], [Number.POSITIVE_INFINITY, 0.5]), target: f64([2], [1, 0]), weight: f64([0, 2], []) },
      { reduction: 'sum' },
      ['input', 'target'],
    );
    expect(values(t.grads.input as FloatArray)).toEqual([0, 0]);
    expect(values(t.grads.target as FloatArray)).toEqual([Number.NaN, 0]);
    // a finite weight (3, 1, 3) over (2, 3): PyTorch 1.13.1 (mean) gives these gradients
    const w = evaluate(
      loss,
      {
        input: f64([2, 3], [0.5, -1, 2, 1.5, 0.25, -3]),
        target: f64([2, 3], [1, 0, 0.25, 0, 1, 1]),
        weight: f64([3, 1, 3], [2, 0.5, 1, 1, 3, -1, 0.25, 1, 4]),
      },
      {},
      ['input', 'target'],
    );
    expect(w.loss).toBeCloseTo(1.102733695769739, 15);
    const torch = {
      input: [
        -0.0454447101331101, 0.04482357022833251, 0.09345141895968628, 0.09841174250479043, -0.07297058318570031,
        -0.1411220928625827,
      ],
      target: [
        -0.06018518518518519, 0.16666666666666666, -0.2962962962962963, -0.18055555555555555, -0.04166666666666666,
        0.4444444444444444,
      ],
    };
    for (const a of ['input', 'target'] as const) {
      const g = values(w.grads[a] as FloatArray);
      for (const [k, v] of torch[a].entries()) expect(g[k]).toBeCloseTo(v, 15);
    }
  });

  it('returns NaN for the mean and 0 for the sum of an empty batch', () => {
    const args = { input: f64([0, 3], []), target: f64([0, 3], []) };
    expect(evaluate(loss, args).loss).toBeNaN();
    expect(evaluate(loss, args, { reduction: 'sum' }).loss).toBe(0);
    const none = evaluate(loss, args, { reduction: 'none' }, ['input']);
    expect(none.lossShape).toEqual([0]);
    expect((none.grads.input as FloatArray).length).toBe(0);
  });

  it('refuses a 0-d input, which has no class axis', () => {
    expect(refusal(loss, { input: f64([], [1]), target: f64([], [1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input'],
    });
  });

  it('refuses a target or a weight that does not broadcast, naming the shapes', () => {
    const input = f64([2, 5], new Array(10).fill(0));
    const bad = refusal(loss, { input, target: f64([2, 6], new Array(12).fill(0)) });
    expect(bad).toMatchObject({ code: 'LOSSD_SHAPE_MISMATCH', paths: ['/target'] });
    expect(bad?.messages[0]).toMatch(/multilabel_soft_margin_loss.*\[2, 6\].*\[2, 5\]/);
    expect(
      refusal(loss, { input, target: f64([2, 5], new Array(10).fill(0)), weight: f64([6], new Array(6).fill(1)) }),
    ).toMatchObject({ code: 'LOSSD_SHAPE_MISMATCH', paths: ['/weight'] });
  });

  it('gives sum = n · mean over the samples', () => {
    fc.assert(
      fc.property(problem, ({ N, C, x, y, w }) => {
        const args = { input: f64([N, C], x), target: f64([N, C], y), weight: f64([C], w) };
        expectSumEqualsCountTimesMean(loss, args, N);
      }),
    );
  });

  it('has input, target and weight gradients that agree with central finite differences', () => {
    fc.assert(
      fc.property(problem, fc.constantFrom('mean', 'sum', 'none'), ({ N, C, x, y, w }, reduction) => {
        const args = { input: f64([N, C], x), target: f64([N, C], y), weight: f64([C], w) };
        const gamma = reduction === 'none' ? Float64Array.from({ length: N }, (_, i) => 0.5 + i) : null;
        expectGradientsMatchFiniteDifferences(loss, args, { reduction }, ['input', 'target', 'weight'], { gamma });
      }),
      { numRuns: 60 },
    );
  });

  it('has gradients that agree with finite differences when target and weight broadcast', () => {
    fc.assert(
      fc.property(
        fc.array(logit, { minLength: 6, maxLength: 6 }),
        fc.array(prob, { minLength: 3, maxLength: 3 }),
        (x, y) => {
          const args = { input: f64([2, 3], x), target: f64([1, 3], y), weight: f64([2, 1], [0.5, 2]) };
          expectGradientsMatchFiniteDifferences(loss, args, {}, ['input', 'target', 'weight']);
        },
      ),
      { numRuns: 30 },
    );
  });
});
