import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ntXentLoss } from '../../src/losses/nt-xent-loss.js';
import { supconLoss } from '../../src/losses/supcon-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';
import {
  evaluate,
  expectGradientsMatchFiniteDifferences,
  f64,
  i32,
  optionPaths,
  refusal,
  uniform,
  values,
} from '../helpers/kernel.js';

const loss: AnyLossDescriptor = supconLoss;

/**
 * Khosla et al.'s loss anchor by anchor, as the paper writes it (eq. 2): for anchor (i, v),
 * -(τ/τ_b) / |P| Σ_{p ∈ P} log(exp(z·z_p/τ) / Σ_{q ≠ anchor} exp(z·z_q/τ)), P the other views
 * whose sample is a positive of i (weighted by mask[i, j]); 0 without positives.
 */
function paperLoss(
  f: number[][][],
  positive: (i: number, j: number) => number,
  tau: number,
  base: number,
  mode: 'all' | 'one',
): number[] {
  const bsz = f.length;
  const V = (f[0] as number[][]).length;
  const rows: Array<{ i: number; z: number[] }> = [];
  for (let v = 0; v < V; v++) for (let i = 0; i < bsz; i++) rows.push({ i, z: f[i]![v]! });
  const dot = (p: number[], q: number[]) => p.reduce((s, x, k) => s + x * q[k]!, 0);
  const anchors = mode === 'all' ? rows.length : bsz;
  const out: number[] = [];
  for (let r = 0; r < anchors; r++) {
    const { i, z } = rows[r]!;
    const logDen = Math.log(rows.reduce((s, q, k) => (k === r ? s : s + Math.exp(dot(z, q.z) / tau)), 0));
    let num = 0;
    let count = 0;
    rows.forEach((q, k) => {
      if (k === r) return;
      const w = positive(i, q.i);
      num += w * (dot(z, q.z) / tau - logDen);
      count += w;
    });
    out.push(-(tau / base) * (count < 1e-6 ? num : num / count));
  }
  return out;
}

const batches = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
  .filter(([bsz, V]) => bsz * V > 1)
  .chain(([bsz, V, D]) =>
    fc.tuple(
      fc.array(fc.array(fc.array(uniform(-1, 1), { minLength: D, maxLength: D }), { minLength: V, maxLength: V }), {
        minLength: bsz,
        maxLength: bsz,
      }),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: bsz, maxLength: bsz }),
      uniform(0.2, 2),
      fc.constantFrom<'all' | 'one'>('all', 'one'),
    ),
  );

const tensor3 = (f: number[][][]) => f64([f.length, f[0]!.length, f[0]![0]!.length], f.flat(2));

describe('supcon_loss', () => {
  it('is the paper’s loss anchor by anchor, with labels, a mask, or neither (SimCLR positives)', () => {
    fc.assert(
      fc.property(batches, ([f, labels, tau, mode]) => {
        const bsz = f.length;
        const V = f[0]!.length;
        const opts = { temperature: tau, base_temperature: 0.07, contrast_mode: mode, reduction: 'none' };
        const check = (got: Float64Array, positive: (i: number, j: number) => number) => {
          const want = paperLoss(f, positive, tau, 0.07, mode);
          want.forEach((w, r) => {
            // anchor r = v·bsz + i is reported at [i, v]
            const at = mode === 'all' ? (r % bsz) * V + Math.floor(r / bsz) : r;
            expect(Math.abs((got[at] as number) - w)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(w)));
          });
        };
        const features = tensor3(f);
        check(evaluate(loss, { features, labels: i32([bsz], labels) }, opts).loss as Float64Array, (i, j) =>
          labels[i] === labels[j] ? 1 : 0,
        );
        check(evaluate(loss, { features }, opts).loss as Float64Array, (i, j) => (i === j ? 1 : 0));
        const mask = Array.from({ length: bsz * bsz }, (_, k) => ((k * 7) % 5) / 4);
        check(
          evaluate(loss, { features, mask: f64([bsz, bsz], mask) }, opts).loss as Float64Array,
          (i, j) => mask[i * bsz + j]!,
        );
      }),
    );
  });

  it('without labels, on normalized features with two views, is NT-Xent (temperature = base_temperature)', () => {
    const rows = [
      [0.3, -1, 2],
      [0.5, 0.2, -0.7],
      [1.1, 0.4, 0.1],
      [-0.6, 0.9, 0.3],
      [0.2, -0.3, 1.5],
      [0.8, 0.8, -0.2],
    ].map((r) => {
      const n = Math.hypot(...r);
      return r.map((v) => v / n);
    });
    // NT-Xent rows i and i + 3 are the two views of sample i
    const f = [0, 1, 2].map((i) => [rows[i]!, rows[i + 3]!]);
    const sup = evaluate(loss, { features: tensor3(f) }, { temperature: 0.5, base_temperature: 0.5 });
    const nt = evaluate(ntXentLoss, { input: f64([6, 3], rows.flat()) }, { temperature: 0.5 });
    expect(sup.loss).toBeCloseTo(nt.loss as number, 13);
  });

  it('gives an anchor without positives loss 0, and a single anchor NaN', () => {
    const features = f64([2, 1, 2], [1, 0, 0, 1]);
    const r = evaluate(loss, { features, labels: i32([2], [0, 1]) }, { reduction: 'none' });
    expect(values(r.loss as Float64Array)).toEqual([0, 0]);
    expect(r.lossShape).toEqual([2, 1]);
    expect(evaluate(loss, { features: f64([1, 1, 2], [1, 0]) }).loss).toBeNaN();
  });

  it('reports (bsz, n_views) in "all" mode and (bsz,) in "one" mode; mean is over all anchors', () => {
    const features = f64([3, 2, 2], [1, 0.2, 0.4, 1, -0.3, 0.8, 0.5, -0.5, 1.2, 0.1, -0.9, 0.6]);
    const labels = i32([3], [0, 1, 0]);
    for (const mode of ['all', 'one']) {
      const none = evaluate(loss, { features, labels }, { contrast_mode: mode, reduction: 'none' });
      expect(none.lossShape).toEqual(mode === 'all' ? [3, 2] : [3]);
      const sum = Array.from(none.loss as Float64Array).reduce((p, q) => p + q, 0);
      expect(evaluate(loss, { features, labels }, { contrast_mode: mode, reduction: 'sum' }).loss).toBeCloseTo(sum, 13);
      expect(evaluate(loss, { features, labels }, { contrast_mode: mode }).loss).toBeCloseTo(
        sum / (mode === 'all' ? 6 : 3),
        13,
      );
    }
  });

  it('has gradients for features and mask that match finite differences', () => {
    const features = f64([3, 2, 2], [1, 0.2, 0.4, 1, -0.3, 0.8, 0.5, -0.5, 1.2, 0.1, -0.9, 0.6]);
    const mask = f64([3, 3], [1, 0.5, 0, 0.2, 1, 0.7, 0.9, 0, 1]);
    for (const contrast_mode of ['all', 'one']) {
      expectGradientsMatchFiniteDifferences(loss, { features, mask }, { temperature: 0.5, contrast_mode }, [
        'features',
        'mask',
      ]);
      expectGradientsMatchFiniteDifferences(loss, { features, labels: i32([3], [0, 1, 0]) }, { contrast_mode }, [
        'features',
      ]);
    }
    expectGradientsMatchFiniteDifferences(
      loss,
      { features, mask },
      { temperature: 0.7, reduction: 'none' },
      ['features', 'mask'],
      {
        gamma: Float64Array.from([0.5, -1, 2, 0.3, 1.5, -0.7]),
      },
    );
  });

  it('refuses features of rank < 3 or empty, labels with mask, and labels or mask of the wrong shape', () => {
    expect(refusal(loss, { features: f64([2, 2], [1, 2, 3, 4]) })?.paths).toEqual(['/features']);
    expect(refusal(loss, { features: f64([0, 2, 2], []) })?.paths).toEqual(['/features']);
    expect(refusal(loss, { features: f64([2, 0, 2], []) })?.paths).toEqual(['/features']);
    const features = f64([2, 1, 2], [1, 0, 0, 1]);
    expect(refusal(loss, { features, labels: i32([2], [0, 1]), mask: f64([2, 2], [1, 0, 0, 1]) })?.paths).toEqual([
      '/mask',
    ]);
    expect(refusal(loss, { features, labels: i32([3], [0, 1, 1]) })?.paths).toEqual(['/labels']);
    expect(refusal(loss, { features, mask: f64([2, 3], [1, 0, 0, 1, 0, 0]) })?.paths).toEqual(['/mask']);
    expect(optionPaths(loss, { temperature: 0 })).toEqual(['/temperature']);
    expect(optionPaths(loss, { base_temperature: -1 })).toEqual(['/base_temperature']);
    expect(optionPaths(loss, { contrast_mode: 'some' })).toEqual(['/contrast_mode']);
  });
});
