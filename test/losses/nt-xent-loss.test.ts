import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ntXentLoss } from '../../src/losses/nt-xent-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  expectSumEqualsCountTimesMean,
  f64,
  optionPaths,
  refusal,
} from '../helpers/kernel.js';

const loss: AnyLossDescriptor = ntXentLoss;

describe('nt_xent_loss', () => {
  it('is -s[i, pos] + log Σ_{k≠i} exp(s[i, k]) over cosine similarities', () => {
    // rows e1, e2 and again e1, e2 (identical views), τ = 1: every anchor sees similarities
    // 0 (the other sample), 1 (its positive), 0 (the other sample's positive)
    const input = f64([4, 2], [3, 0, 0, 2, 1, 0, 0, 5]);
    const r = evaluate(loss, { input }, { temperature: 1, reduction: 'none' });
    expect(r.lossShape).toEqual([4]);
    for (const l of r.loss as Float64Array) expect(l).toBeCloseTo(Math.log(2 + Math.E) - 1, 15);
  });

  it('divides the similarities by the temperature', () => {
    const input = f64([4, 2], [1, 0, 0, 1, 1, 0, 0, 1]);
    const r = evaluate(loss, { input }, { temperature: 0.5 });
    expect(r.loss).toBeCloseTo(Math.log(2 + Math.exp(2)) - 2, 15);
  });

  it('is 0 with zero gradient for a single pair, which has no negatives', () => {
    const r = evaluate(loss, { input: f64([2, 3], [1, 2, 3, -1, 0.5, 2]) }, {}, ['input']);
    expect(r.loss).toBe(0);
    expect([...(r.grads.input as Float64Array)].every((v) => v === 0)).toBe(true);
  });

  it('does not change when a row is scaled, and its gradient is orthogonal to the row', () => {
    const x = [0.3, -1.2, 2, 0.7, -0.4, 1.1, 0.9, 0.2, -1.5, 0.6, 0.8, -0.3];
    const scaled = x.map((v, i) => (i < 3 ? 7 * v : v));
    const a = evaluate(loss, { input: f64([4, 3], x) }, {}, ['input']);
    const b = evaluate(loss, { input: f64([4, 3], scaled) });
    expect(b.loss).toBeCloseTo(a.loss as number, 14);
    const g = a.grads.input as Float64Array;
    for (let i = 0; i < 4; i++) {
      let dot = 0;
      for (let d = 0; d < 3; d++) dot += (g[3 * i + d] as number) * (x[3 * i + d] as number);
      expect(dot).toBeCloseTo(0, 14);
    }
  });

  it('normalizes a zero row to zero and scales its gradient by 1 / 1e-12, as F.normalize', () => {
    const x = [0, 0, 1, 0.5, -0.3, 1, 0.8, -1];
    const r = evaluate(loss, { input: f64([4, 2], x) }, { reduction: 'sum' }, ['input']);
    // anchor 0 sees similarity 0 with everything: log 3
    const per = evaluate(loss, { input: f64([4, 2], x) }, { reduction: 'none' }).loss as Float64Array;
    expect(per[0]).toBeCloseTo(Math.log(3), 15);
    const g = r.grads.input as Float64Array;
    expect(Math.abs(g[0] as number)).toBeGreaterThan(1e9);
  });

  it('averages over all 2N anchors', () => {
    const input = f64([4, 2], [1, 0.2, -0.5, 1, 0.9, 0.1, -0.4, 1.3]);
    const none = evaluate(loss, { input }, { reduction: 'none' }).loss as Float64Array;
    const mean = evaluate(loss, { input }).loss as number;
    expect(mean).toBeCloseTo(none.reduce((a, b) => a + b, 0) / 4, 15);
  });

  it('refuses an odd number of rows or none, and inputs that are not 2-d', () => {
    expect(refusal(loss, { input: f64([3, 2], [1, 2, 3, 4, 5, 6]) })).toMatchObject({
      code: 'LOSSD_INVALID_VALUE',
      paths: ['/input'],
    });
    expect(refusal(loss, { input: f64([0, 2], []) })?.code).toBe('LOSSD_INVALID_VALUE');
    expect(refusal(loss, { input: f64([4], [1, 2, 3, 4]) })).toMatchObject({
      code: 'LOSSD_SHAPE_MISMATCH',
      paths: ['/input'],
    });
  });

  it('refuses temperature <= 0', () => {
    expect(optionPaths(loss, { temperature: 0 })).toEqual(['/temperature']);
    expect(optionPaths(loss, { temperature: -0.5 })).toEqual(['/temperature']);
  });

  // rows with norm well above zero, so normalization is smooth around them
  const rows = fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }))
    .chain(([N, D]) =>
      fc.tuple(
        fc.constant<number[]>([2 * N, D]),
        fc.array(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: D, maxLength: D }), {
          minLength: 2 * N,
          maxLength: 2 * N,
        }),
      ),
    )
    .filter(([, r]) => r.every((row) => Math.hypot(...row) > 0.1));

  it('gives sum = 2N · mean', () => {
    fc.assert(
      fc.property(rows, ([shape, r]) => {
        expectSumEqualsCountTimesMean(loss, { input: f64(shape, r.flat()) }, shape[0] as number);
      }),
    );
  });

  it('has an input gradient that agrees with central finite differences', () => {
    fc.assert(
      fc.property(
        rows,
        fc.double({ min: 0.2, max: 2, noNaN: true }),
        fc.constantFrom('none', 'mean', 'sum'),
        ([shape, r], temperature, reduction) => {
          const gamma =
            reduction === 'none' ? Float64Array.from({ length: shape[0] as number }, (_, i) => 1 - i / 5) : null;
          expectGradientsMatchFiniteDifferences(
            loss,
            { input: f64(shape, r.flat()) },
            { temperature, reduction },
            ['input'],
            { gamma, g: reduction === 'none' ? 1 : 0.9 },
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
