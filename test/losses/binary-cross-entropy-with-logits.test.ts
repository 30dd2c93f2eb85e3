import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryCrossEntropyWithLogits as bcel } from '../../src/losses/binary-cross-entropy-with-logits.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  pairArgs,
  refusal,
  type TestArgs,
  values,
} from '../helpers/kernel.js';
import { requestRefusal } from '../helpers/request.js';

const logit = fc.double({ min: -8, max: 8, noNaN: true });
const y = fc.double({ min: 0, max: 1, noNaN: true });
const positive = fc.double({ min: 0.1, max: 3, noNaN: true });

describe('binary_cross_entropy_with_logits', () => {
  it('is −(y·logσ(x) + (1 − y)·logσ(−x)), with gradients σ(x) − y for input and −x for target', () => {
    const r = evaluate(bcel, { input: f64([3], [0, 0, 2]), target: f64([3], [1, 0, 0.5]) }, { reduction: 'none' }, [
      'input',
      'target',
    ]);
    const loss = values(r.loss as FloatArray);
    expect(loss.slice(0, 2)).toEqual([Math.LN2, Math.LN2]);
    // 0.5·2 + log(1 + e^-2)
    expect(loss[2]).toBeCloseTo(1 + Math.log(1 + Math.exp(-2)), 15);
    expect(values(r.grads.input as FloatArray)).toEqual([-0.5, 0.5, 1 / (1 + Math.exp(-2)) - 0.5]);
    expect(values(r.grads.target as FloatArray)).toEqual([0, 0, -2]);
  });

  it('weights the positive term by pos_weight', () => {
    const r = evaluate(
      bcel,
      { input: f64([1], [0]), target: f64([1], [1]), pos_weight: f64([1], [3]) },
      { reduction: 'sum' },
      ['input', 'target'],
    );
    // -3·logσ(0) = 3 log 2
    expect(r.loss).toBeCloseTo(3 * Math.LN2, 15);
    // (pw·y + 1 - y)·σ(0) - pw·y = 3·0.5 - 3
    expect(values(r.grads.input as FloatArray)).toEqual([-1.5]);
    // logσ(0) - 3·logσ(0) = 2 log 2
    expect((r.grads.target as FloatArray)[0]).toBeCloseTo(2 * Math.LN2, 15);
  });

  it('broadcasts weight and pos_weight along the last dimension and divides the mean by numel(input)', () => {
    const r = evaluate(
      bcel,
      {
        input: f64([2, 2], [0, 0, 0, 0]),
        target: f64([2, 2], [1, 1, 0, 0]),
        weight: f64([2], [1, 2]),
        pos_weight: f64([2], [3, 1]),
      },
      {},
      ['input'],
    );
    // row 0 (y = 1): log 2·[3·1, 1·2]; row 1 (y = 0, pos_weight unused): log 2·[1, 2] → 8 log 2 / 4
    expect(r.loss).toBeCloseTo(2 * Math.LN2, 15);
    // row 0: [(3·0.5 - 3)·1, (0.5 - 1)·2]; row 1: [0.5·1, 0.5·2]; all divided by 4
    expect(values(r.grads.input as FloatArray)).toEqual([-0.375, -0.25, 0.125, 0.25]);
  });

  it('stays finite for large finite logits, with PyTorch’s plain log', () => {
    const r = evaluate(bcel, { input: f64([2], [36.5, -800]), target: f64([2], [1, 0]) }, { reduction: 'none' }, [
      'input',
    ]);
    // 1 + exp(-36.5) rounds up to 1 + 2^-52, whose log is 2.2204460492503128e-16 (log1p would give 1.39e-16)
    expect(values(r.loss as FloatArray)).toEqual([2.2204460492503128e-16, 0]);
    expect(values(r.grads.input as FloatArray)).toEqual([-2.220446049250313e-16, 0]);
  });

  it('gives NaN at x = −inf and at x = +inf with y = 1, while the gradients stay finite', () => {
    const inf = Number.POSITIVE_INFINITY;
    const r = evaluate(
      bcel,
      { input: f64([3], [-inf, inf, inf]), target: f64([3], [0.5, 1, 0]) },
      { reduction: 'none' },
      ['input', 'target'],
    );
    expect(values(r.loss as FloatArray)).toEqual([Number.NaN, Number.NaN, inf]);
    expect(values(r.grads.input as FloatArray)).toEqual([-0.5, 0, 1]);
    expect(values(r.grads.target as FloatArray)).toEqual([inf, -inf, -inf]);
  });

  it('refuses a target of another shape', () => {
    expect(refusal(bcel, { input: f64([2, 1], [0, 0]), target: f64([2], [1, 1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
  });

  it('refuses a weight or pos_weight that would not broadcast to the input shape or would enlarge it', () => {
    const input = f64([2, 2], [0, 0, 0, 0]);
    const target = f64([2, 2], [1, 1, 1, 1]);
    expect(refusal(bcel, { input, target, pos_weight: f64([3], [1, 1, 1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/pos_weight'],
    });
    expect(refusal(bcel, { input, target, weight: f64([3, 2, 2], new Array(12).fill(1)) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/weight'],
    });
    // (N, 1) and 0-d are fine
    expect(refusal(bcel, { input, target, pos_weight: f64([2, 1], [1, 2]), weight: f64([], [2]) })).toBeNull();
  });

  it('has no gradient for weight or pos_weight', () => {
    for (const name of ['weight', 'pos_weight']) {
      expect(bcel.args.find((a) => a.name === name)?.differentiable).toBe(false);
      const out = requestRefusal(bcel, { input: [0], target: [1], [name]: [2], grad_wrt: [name] });
      expect(out?.paths[0]).toBe('/grad_wrt/0');
    }
  });

  it('returns NaN for an empty mean', () => {
    expect(evaluate(bcel, { input: f64([0], []), target: f64([0], []) }).loss).toBeNaN();
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(logit, y), { minLength: 1, maxLength: 20 }), (pairs) => {
        expectSumEqualsCountTimesMean(bcel, pairArgs(pairs), pairs.length);
      }),
    );
  });

  it('has input and target gradients that agree with central finite differences, with and without weights', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(logit, y), { minLength: 1, maxLength: 6 }),
        fc.tuple(positive, positive),
        fc.constantFrom('mean', 'sum', 'none'),
        fc.boolean(),
        fc.boolean(),
        (rows, [w, pw], reduction, weighted, posWeighted) => {
          const args: TestArgs = pairArgs(rows);
          if (weighted) args.weight = f64([], [w]);
          if (posWeighted) args.pos_weight = f64([1], [pw]);
          const gamma = reduction === 'none' ? Float64Array.from(rows, (_, i) => 1 - i / 3) : null;
          expectGradientsMatchFiniteDifferences(bcel, args, { reduction }, ['input', 'target'], { gamma });
        },
      ),
      { numRuns: 80 },
    );
  });
});
