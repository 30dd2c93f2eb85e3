import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { softMarginLoss } from '../../src/losses/soft-margin-loss.js';
import { runLoss } from '../../src/pipeline/run-loss.js';
import type { AnyLossDescriptor, FloatArray } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  f64,
  type TestArgs,
  withDefaults,
} from '../helpers/kernel.js';

/** Plain numbers, with -0 read as 0 (toEqual tells them apart). */
const list = (a: FloatArray) => Array.from(a, (v) => v + 0);

/** The meta step alone, with the descriptor's option defaults filled in. */
const checkWith = (loss: AnyLossDescriptor, args: TestArgs, opts: Record<string, unknown>) =>
  loss.check(args, withDefaults(loss, opts));

function refusal(args: TestArgs, opts: Record<string, unknown> = {}) {
  const r = checkWith(softMarginLoss, args, opts);
  if (r.ok) throw new Error('expected a refusal');
  return { code: r.code, path: r.issues[0]?.path };
}

const score = fc.double({ min: -10, max: 10, noNaN: true });
const label = fc.constantFrom(1, -1, 0.5, 2);

describe('soft_margin_loss', () => {
  it('is log(1 + exp(−y·x)) with gradient −y·z/(1 + z), z = exp(−y·x)', () => {
    const r = evaluate(softMarginLoss, { input: f64([2], [0, 1]), target: f64([2], [1, -1]) }, { reduction: 'none' }, [
      'input',
    ]);
    expect(list(r.loss as FloatArray)).toEqual([Math.LN2, Math.log(1 + Math.E)]);
    expect(list(r.grads.input as FloatArray)).toEqual([-0.5, Math.E / (1 + Math.E)]);
  });

  it('overflows like PyTorch’s literal formula: inf loss and NaN gradient past −y·x ≈ 709.78', () => {
    const r = evaluate(
      softMarginLoss,
      { input: f64([2], [-800, 40]), target: f64([2], [1, 1]) },
      { reduction: 'none' },
      ['input'],
    );
    // y·x = 40: 1 + z rounds to 1, the loss is exactly 0 and the gradient the tiny -z
    expect(list(r.loss as FloatArray)).toEqual([Number.POSITIVE_INFINITY, 0]);
    expect(list(r.grads.input as FloatArray)).toEqual([Number.NaN, -4.248354255291589e-18]);
  });

  it('broadcasts a target row into the input shape and averages over numel(input)', () => {
    const r = evaluate(softMarginLoss, { input: f64([2, 2], [0, 0, 0, 0]), target: f64([2], [1, -1]) }, {}, ['input']);
    expect(r.loss).toBe(Math.LN2);
    expect(list(r.grads.input as FloatArray)).toEqual([-0.125, 0.125, -0.125, 0.125]);
  });

  it('refuses a target that would enlarge the input shape or does not broadcast', () => {
    expect(refusal({ input: f64([2], [0, 0]), target: f64([2, 2], [1, 1, 1, 1]) })).toEqual({
      code: 'LOSSD_SHAPE_MISMATCH',
      path: '/target',
    });
    expect(refusal({ input: f64([2], [0, 0]), target: f64([3], [1, 1, 1]) })).toEqual({
      code: 'LOSSD_SHAPE_MISMATCH',
      path: '/target',
    });
  });

  it('has no gradient for target', () => {
    expect(softMarginLoss.args.find((a) => a.name === 'target')?.differentiable).toBe(false);
    const out = runLoss(softMarginLoss, { input: [0], target: [1], grad_wrt: ['target'] }, { maxElements: 100 });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.errors[0]?.path).toBe('/grad_wrt/0');
  });

  it('returns NaN for an empty mean', () => {
    expect(evaluate(softMarginLoss, { input: f64([0], []), target: f64([0], []) }).loss).toBeNaN();
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(score, label), { minLength: 1, maxLength: 20 }), (pairs) => {
        const n = pairs.length;
        const args = {
          input: f64(
            [n],
            pairs.map((q) => q[0]),
          ),
          target: f64(
            [n],
            pairs.map((q) => q[1]),
          ),
        };
        const sum = evaluate(softMarginLoss, args, { reduction: 'sum' }).loss as number;
        const mean = evaluate(softMarginLoss, args).loss as number;
        expect(sum).toBeCloseTo(mean * n, 9);
      }),
    );
  });

  it('has an input gradient that agrees with central finite differences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(score, label), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('mean', 'sum', 'none'),
        (pairs, reduction) => {
          const n = pairs.length;
          const args = {
            input: f64(
              [n],
              pairs.map((q) => q[0]),
            ),
            target: f64(
              [n],
              pairs.map((q) => q[1]),
            ),
          };
          const gamma = reduction === 'none' ? Float64Array.from(pairs, (_, i) => 2 - i / 3) : null;
          expectGradientsMatchFiniteDifferences(softMarginLoss, args, { reduction }, ['input'], { gamma });
        },
      ),
      { numRuns: 60 },
    );
  });
});
