import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cosineEmbeddingLoss as loss } from '../../src/losses/cosine-embedding-loss.js';
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
import { requestRefusal } from '../helpers/request.js';

/** float32 1e-12 widened to double, added by PyTorch to each squared magnitude. */
const EPS32 = 9.999999960041972e-13;
const BOTH = ['input1', 'input2'];

const vector = (D: number) => fc.array(uniform(-2, 2), { minLength: D, maxLength: D });
/** A 2-vector of magnitude in [0.3, 2], in any direction. */
const row2 = fc
  .tuple(uniform(0.3, 2), uniform(0, 2 * Math.PI))
  .map(([r, angle]) => [r * Math.cos(angle), r * Math.sin(angle)]);
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('cosine_embedding_loss', () => {
  it('is 1 − cos for a similar pair (y = 1)', () => {
    // (3, 4)·(4, 3) = 24, both magnitudes 5: cos = 0.96
    const r = evaluate(loss, { input1: f64([2], [3, 4]), input2: f64([2], [4, 3]), target: f64([], [1]) }, {}, BOTH);
    expect(r.lossShape).toEqual([]);
    expect(r.loss).toBeCloseTo(0.04, 12);
    // d(1 − cos)/dx1 = −(x2/(|x1||x2|) − cos·x1/|x1|²) = −((4, 3)/25 − 0.96·(3, 4)/25)
    const g1 = values(r.grads.input1 as FloatArray);
    expect(g1[0]).toBeCloseTo(-(4 - 0.96 * 3) / 25, 12);
    expect(g1[1]).toBeCloseTo(-(3 - 0.96 * 4) / 25, 12);
  });

  it('is max(0, cos − margin) for a dissimilar pair (y = −1)', () => {
    const args = { input1: f64([2], [3, 4]), input2: f64([2], [4, 3]), target: f64([], [-1]) };
    expect(evaluate(loss, args, { margin: 0.5 }).loss).toBeCloseTo(0.46, 12);
    expect(evaluate(loss, args, { margin: 0.99 }).loss).toBe(0);
    const inactive = evaluate(loss, args, { margin: 0.99 }, BOTH);
    expect(values(inactive.grads.input1 as FloatArray)).toEqual([0, 0]);
  });

  it('costs nothing, with zero gradient, for a target that is neither 1 nor −1', () => {
    const r = evaluate(
      loss,
      { input1: f64([1, 2], [3, 4]), input2: f64([1, 2], [4, 3]), target: f64([1], [0]) },
      { reduction: 'none' },
      BOTH,
    );
    expect(values(r.loss as FloatArray)).toEqual([0]);
    expect(values(r.grads.input1 as FloatArray)).toEqual([0, 0]);
    expect(values(r.grads.input2 as FloatArray)).toEqual([0, 0]);
  });

  it('passes the gradient at the kink cos = margin of a dissimilar pair', () => {
    // orthogonal vectors: cos = 0 = margin, so the hinge is exactly 0 and still differentiated
    const r = evaluate(
      loss,
      { input1: f64([2], [1, 0]), input2: f64([2], [0, 1]), target: f64([], [-1]) },
      { margin: 0 },
      BOTH,
    );
    expect(r.loss).toBe(0);
    const g1 = values(r.grads.input1 as FloatArray);
    expect(g1[0]).toBe(0);
    expect(g1[1]).toBeCloseTo(1, 11); // x2 / den, den = 1 + EPS32
  });

  it('adds EPS32 to both squared magnitudes, so a zero vector gives cos = 0 and a finite gradient', () => {
    const r = evaluate(loss, { input1: f64([2], [0, 0]), input2: f64([2], [3, 4]), target: f64([], [1]) }, {}, BOTH);
    expect(r.loss).toBe(1);
    const den = Math.sqrt(EPS32 * (25 + EPS32));
    const g1 = values(r.grads.input1 as FloatArray);
    expect(g1[0]).toBeCloseTo(-3 / den, 0);
    expect((g1[0] as number) / (-3 / den)).toBeCloseTo(1, 14);
    expect((g1[1] as number) / (-4 / den)).toBeCloseTo(1, 14);
    expect(values(r.grads.input2 as FloatArray)).toEqual([0, 0]);
  });

  it('gives one loss per row for (N, D) inputs with an (N) target, averaged by default', () => {
    const input1 = f64([2, 2], [1, 0, 0, 1]);
    const input2 = f64([2, 2], [1, 0, 1, 0]);
    const target = f64([2], [1, 1]);
    const none = evaluate(loss, { input1, input2, target }, { reduction: 'none' });
    expect(none.lossShape).toEqual([2]);
    const [l0, l1] = values(none.loss as FloatArray);
    // parallel vectors: cos = 1/(1 + EPS32), so the loss is EPS32 rather than 0
    expect(l0).toBeCloseTo(EPS32, 15);
    expect(l1).toBe(1);
    expect(evaluate(loss, { input1, input2, target }).loss).toBeCloseTo((EPS32 + 1) / 2, 15);
  });

  it('broadcasts a (1) target over the rows', () => {
    const r = evaluate(
      loss,
      { input1: f64([3, 2], [1, 0, 0, 1, 1, 1]), input2: f64([3, 2], [0, 1, 0, 1, 0, 1]), target: f64([1], [1]) },
      { reduction: 'none' },
    );
    expect(r.lossShape).toEqual([3]);
  });

  it('sums the gradient of a broadcast (1, D) row over the rows it was paired with', () => {
    const row = [0.3, -1.2, 0.7];
    const others = [1, 2, -1, -0.5, 0.4, 2];
    const target = f64([2], [1, -1]);
    const broadcast = evaluate(
      loss,
      { input1: f64([1, 3], row), input2: f64([2, 3], others), target },
      { reduction: 'sum', margin: -1 },
      BOTH,
    );
    const repeated = evaluate(
      loss,
      { input1: f64([2, 3], [...row, ...row]), input2: f64([2, 3], others), target },
      { reduction: 'sum', margin: -1 },
      BOTH,
    );
    expect(broadcast.loss).toBeCloseTo(repeated.loss as number, 14);
    const g = values(broadcast.grads.input1 as FloatArray);
    const r = values(repeated.grads.input1 as FloatArray);
    for (let d = 0; d < 3; d++) expect(g[d]).toBeCloseTo((r[d] as number) + (r[d + 3] as number), 14);
    expect(values(broadcast.grads.input2 as FloatArray)).toEqual(values(repeated.grads.input2 as FloatArray));
  });

  it('sums a broadcast row’s magnitude gradient before x·x’s backward, as PyTorch does (empty broadcast)', () => {
    // input1 (1, 3) against input2 (0, 3): PyTorch sums the empty upstream of |x1|² to 0, then
    // multiplies it by x1, so inf and NaN entries get NaN. PyTorch 1.13.1 (scripts/torch-cases
    // style, float64): grad input1 = [nan, nan, 0]; with the roles swapped, grad input2 = [0, nan]
    const r = evaluate(
      loss,
      {
        input1: f64([1, 3], [Number.POSITIVE_INFINITY, Number.NaN, 2]),
        input2: f64([0, 3], []),
        target: f64([0], []),
      },
      { reduction: 'sum' },
      BOTH,
    );
    expect(r.loss).toBe(0);
    expect(values(r.grads.input1 as FloatArray)).toEqual([Number.NaN, Number.NaN, 0]);
    expect(values(r.grads.input2 as FloatArray)).toEqual([]);
    const s = evaluate(
      loss,
      { input1: f64([0, 2], []), input2: f64([1, 2], [1, Number.NEGATIVE_INFINITY]), target: f64([0], []) },
      { reduction: 'sum' },
      BOTH,
    );
    expect(values(s.grads.input2 as FloatArray)).toEqual([0, Number.NaN]);
    // and over real rows, PyTorch 1.13.1 (mean, margin 0): grad input1 =
    // [0.014748866290692976, 0.0012307620947975134, -0.022738680483436483]
    const b = evaluate(
      loss,
      { input1: f64([1, 3], [3, 1, 2]), input2: f64([2, 3], [1, 2, 3, 4, 5, 6]), target: f64([2], [1, -1]) },
      {},
      BOTH,
    );
    const torch = [0.014748866290692976, 0.0012307620947975134, -0.022738680483436483];
    const g = values(b.grads.input1 as FloatArray);
    for (let d = 0; d < 3; d++) expect(g[d]).toBeCloseTo(torch[d] as number, 15);
  });

  it('makes both gradient rows NaN when a cosine is NaN, even with a zero factor', () => {
    const r = evaluate(
      loss,
      { input1: f64([1, 2], [Number.NaN, 1]), input2: f64([1, 2], [1, 1]), target: f64([1], [0]) },
      { reduction: 'none' },
      BOTH,
    );
    expect(values(r.loss as FloatArray)).toEqual([0]);
    for (const v of values(r.grads.input1 as FloatArray)) expect(v).toBeNaN();
    for (const v of values(r.grads.input2 as FloatArray)) expect(v).toBeNaN();
  });

  it('returns NaN for the mean and 0 for the sum of an empty batch', () => {
    const args = { input1: f64([0, 3], []), input2: f64([0, 3], []), target: f64([0], []) };
    expect(evaluate(loss, args).loss).toBeNaN();
    expect(evaluate(loss, args, { reduction: 'sum' }).loss).toBe(0);
  });

  it('refuses a target of rank 2 or more', () => {
    expect(
      refusal(loss, { input1: f64([1, 2], [1, 2]), input2: f64([1, 2], [1, 2]), target: f64([1, 1], [1]) }),
    ).toMatchObject({ code: 'LOSSD_SHAPE_MISMATCH', paths: ['/target'] });
  });

  it('refuses inputs whose rank does not fit the target, naming both shapes', () => {
    const bad = refusal(loss, {
      input1: f64([1, 2, 1], [1, 2]),
      input2: f64([1, 2, 1], [1, 2]),
      target: f64([1], [1]),
    });
    expect(bad).toMatchObject({ code: 'LOSSD_SHAPE_MISMATCH', paths: ['/input1'] });
    expect(bad?.messages[0]).toMatch(/cosine_embedding_loss.*\[1, 2, 1\]/);
    expect(refusal(loss, { input1: f64([2], [1, 2]), input2: f64([2], [1, 2]), target: f64([1], [1]) })).toMatchObject({
      paths: ['/input1'],
    });
  });

  it('refuses an input2 whose rank differs from input1 (a contract note: PyTorch checks only input1)', () => {
    expect(
      refusal(loss, { input1: f64([1, 2], [1, 2]), input2: f64([2], [1, 2]), target: f64([1], [1]) }),
    ).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input2'],
    });
  });

  it('refuses inputs that do not broadcast and a target that does not match the cosines', () => {
    const input1 = f64([3, 5], new Array(15).fill(1));
    expect(
      refusal(loss, { input1, input2: f64([3, 6], new Array(18).fill(1)), target: f64([3], [1, 1, 1]) }),
    ).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input2'],
    });
    expect(refusal(loss, { input1, input2: input1, target: f64([4], [1, 1, 1, 1]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/target'],
    });
  });

  it('refuses a gradient for the target', () => {
    const out = requestRefusal(
      loss,
      { input1: [1, 2], input2: [2, 1], target: 1, grad_wrt: ['input1', 'target'] },
      1000,
    );
    expect(out?.code).toBe('LOSSD_GRADIENT_UNAVAILABLE');
    expect(out?.paths[0]).toBe('/grad_wrt/1');
  });

  it('gives sum = n · mean', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 4 })
          .chain((N) =>
            fc.tuple(
              fc.constant(N),
              vector(N * 3),
              vector(N * 3),
              fc.array(fc.constantFrom(1, -1), { minLength: N, maxLength: N }),
            ),
          ),
        ([N, a, b, y]) => {
          const args = { input1: f64([N, 3], a), input2: f64([N, 3], b), target: f64([N], y) };
          expectSumEqualsCountTimesMean(loss, args, N);
        },
      ),
    );
  });

  it('has input1 and input2 gradients that agree with central finite differences away from the kink', () => {
    fc.assert(
      fc.property(
        fc.tuple(row2, row2).map(([u, v]) => [...u, ...v]),
        fc.tuple(row2, row2).map(([u, v]) => [...u, ...v]),
        fc.constantFrom(1, -1),
        uniform(-0.9, 0.9),
        fc.constantFrom('mean', 'sum', 'none'),
        (a, b, y, margin, reduction) => {
          const args = { input1: f64([2, 2], a), input2: f64([2, 2], b), target: f64([2], [y, -y]) };
          // stay away from the hinge at cos = margin
          const r = evaluate(loss, args, { reduction: 'none', margin });
          const cos = [0, 1].map((n) => {
            const u = a.slice(2 * n, 2 * n + 2);
            const v = b.slice(2 * n, 2 * n + 2);
            return ((u[0] as number) * (v[0] as number) + (u[1] as number) * (v[1] as number)) / (norm(u) * norm(v));
          });
          fc.pre(cos.every((c) => Math.abs(c - margin) > 1e-3));
          expect((r.loss as FloatArray).length).toBe(2);
          const gamma = reduction === 'none' ? Float64Array.from([0.7, -1.3]) : null;
          expectGradientsMatchFiniteDifferences(loss, args, { reduction, margin }, BOTH, { gamma });
        },
      ),
      { numRuns: 80 },
    );
  });
});
