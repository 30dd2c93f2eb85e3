import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossEntropy } from '../../src/losses/cross-entropy.js';
import { softmaxFocalLoss } from '../../src/losses/softmax-focal-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  f64,
  optionPaths,
  refusal,
  uniform,
  values,
} from '../helpers/kernel.js';

const loss: AnyLossDescriptor = softmaxFocalLoss;

const batch = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 5 })).chain(([N, C]) =>
  fc.record({
    N: fc.constant(N),
    C: fc.constant(C),
    z: fc.array(uniform(-4, 4), { minLength: N * C, maxLength: N * C }),
    y: fc.array(fc.integer({ min: 0, max: C - 1 }), { minLength: N, maxLength: N }),
  }),
);

/** Keras's arithmetic written out for one row: softmax, clip, focal sum. */
function kerasRow(z: number[], y: number[], alpha: number, gamma: number): number {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.reduce((acc, ev, c) => {
    const o = Math.min(Math.max(ev / s, 1e-7), 1 - 1e-7);
    return acc + alpha * (1 - o) ** gamma * (-(y[c] as number) * Math.log(o));
  }, 0);
}

describe('softmax_focal_loss', () => {
  it('is alpha-weighted cross-entropy at gamma = 0, label smoothing included (cross_entropy as the oracle)', () => {
    fc.assert(
      fc.property(batch, uniform(0, 1), uniform(0.1, 2), ({ N, C, z, y }, ls, alpha) => {
        const focal = evaluate(
          loss,
          { y_true: f64([N], y), y_pred: f64([N, C], z) },
          {
            alpha,
            gamma: 0,
            label_smoothing: ls,
            reduction: 'none',
          },
        );
        const ce = evaluate(
          crossEntropy as AnyLossDescriptor,
          { input: f64([N, C], z), target: f64([N], y) },
          {
            label_smoothing: ls,
            reduction: 'none',
          },
        );
        const want = values(ce.loss as Float64Array).map((v) => alpha * v);
        for (const [i, v] of values(focal.loss as Float64Array).entries()) expect(v).toBeCloseTo(want[i] as number, 10);
      }),
    );
  });

  it("follows Keras's arithmetic for indices and the one-hot rows they stand for", () => {
    fc.assert(
      fc.property(batch, uniform(0, 4), ({ N, C, z, y }, gamma) => {
        const oneHot = y.flatMap((k) => Array.from({ length: C }, (_, c) => (c === k ? 1 : 0)));
        const byIndex = evaluate(loss, { y_true: f64([N], y), y_pred: f64([N, C], z) }, { gamma, reduction: 'none' });
        const byRow = evaluate(
          loss,
          { y_true: f64([N, C], oneHot), y_pred: f64([N, C], z) },
          { gamma, reduction: 'none' },
        );
        expect(values(byRow.loss as Float64Array)).toEqual(values(byIndex.loss as Float64Array));
        for (const [i, v] of values(byIndex.loss as Float64Array).entries()) {
          const row = z.slice(i * C, i * C + C);
          expect(v).toBeCloseTo(kerasRow(row, oneHot.slice(i * C, i * C + C), 0.25, gamma), 12);
        }
      }),
    );
  });

  it('clips the probabilities to [1e-7, 1 - 1e-7], and a clipped one passes no gradient', () => {
    // one class: o = 1 is clipped to 1 - 1e-7 whatever the logit
    const one = evaluate(loss, { y_true: f64([2], [0, 0]), y_pred: f64([2, 1], [-3, 5]) }, { reduction: 'none' }, [
      'y_pred',
    ]);
    const want = 0.25 * (1 - (1 - 1e-7)) ** 2 * -Math.log(1 - 1e-7);
    expect(values(one.loss as Float64Array)).toEqual([want, want]);
    expect(values(one.grads.y_pred as Float64Array)).toEqual([0, 0]);
    // logits (40, 0): o = (1 - 1e-7, 1e-7) after the clip, and no gradient reaches either
    const clipped = evaluate(loss, { y_true: f64([1], [1]), y_pred: f64([1, 2], [40, 0]) }, {}, ['y_pred']);
    expect(clipped.loss).toBeCloseTo(0.25 * (1 - 1e-7) ** 2 * -Math.log(1e-7), 12);
    expect(values(clipped.grads.y_pred as Float64Array)).toEqual([0, 0]);
  });

  it('has y_pred and y_true gradients that agree with finite differences', () => {
    fc.assert(
      fc.property(
        batch,
        fc.constantFrom('none', 'mean', 'sum'),
        fc.constantFrom(0, 1, 2, 3.64),
        uniform(0, 1),
        ({ N, C, z }, reduction, gamma, ls) => {
          const probs = Array.from({ length: N * C }, (_, k) => 0.1 + ((k * 7) % 5) / 10);
          const args = { y_true: f64([N, C], probs), y_pred: f64([N, C], z) };
          const gammaOut = reduction === 'none' ? Float64Array.from({ length: N }, (_, i) => 1 - i / 2) : null;
          expectGradientsMatchFiniteDifferences(
            loss,
            args,
            { gamma, label_smoothing: ls, reduction },
            ['y_pred', 'y_true'],
            {
              gamma: gammaOut,
              g: reduction === 'none' ? 1 : 1.5,
            },
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('takes an unbatched row with a 0-d class index; the mean of no samples is NaN', () => {
    const r = evaluate(loss, { y_true: f64([], [2]), y_pred: f64([3], [0.5, -1, 2]) }, { reduction: 'none' });
    expect(r.lossShape).toEqual([]);
    expect((r.loss as Float64Array)[0]).toBeCloseTo(kerasRow([0.5, -1, 2], [0, 0, 1], 0.25, 2), 14);
    expect(evaluate(loss, { y_true: f64([0], []), y_pred: f64([0, 4], []) }).loss).toBeNaN();
    expect(evaluate(loss, { y_true: f64([0], []), y_pred: f64([0, 4], []) }, { reduction: 'sum' }).loss).toBe(0);
  });

  it('differentiates y_true only as one-hot or probability rows, never as class indices', () => {
    const z = f64([1, 2], [0, 1]);
    const indices = loss.check({ y_true: f64([1], [1]), y_pred: z }, loss.options.parse({}));
    const rows = loss.check({ y_true: f64([1, 2], [0, 1]), y_pred: z }, loss.options.parse({}));
    expect(indices.ok && indices.notDifferentiable?.y_true).toBeTruthy();
    expect(rows.ok && rows.notDifferentiable).toBeUndefined();
  });

  it('refuses bad shapes, class indices and options', () => {
    const z = f64([2, 3], [0, 0, 0, 0, 0, 0]);
    expect(refusal(loss, { y_true: f64([2, 0], []), y_pred: f64([2, 0], []) })).toMatchObject({ paths: ['/y_pred'] });
    expect(refusal(loss, { y_true: f64([3], [0, 1, 2]), y_pred: z })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/y_true'],
    });
    expect(refusal(loss, { y_true: f64([2], [0, 3]), y_pred: z })).toMatchObject({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/y_true/1'],
    });
    expect(refusal(loss, { y_true: f64([2], [0.5, 1]), y_pred: z })).toMatchObject({ paths: ['/y_true/0'] });
    expect(optionPaths(loss, { alpha: -0.25 })).toEqual(['/alpha']);
    expect(optionPaths(loss, { gamma: -1 })).toEqual(['/gamma']);
    expect(optionPaths(loss, { label_smoothing: 1.5 })).toEqual(['/label_smoothing']);
    expect(optionPaths(loss, { label_smoothing: -0.1 })).toEqual(['/label_smoothing']);
  });
});
