// The request pipeline as a specification: the same numbers whatever the tensor form or the
// response encoding, float32 within 1e-5 of float64, gradients linear in grad_output, and
// the request-processing order of LOSSES.md 3.1.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runLoss } from '../../src/pipeline/run-loss.js';
import { findLoss } from '../../src/registry/index.js';
import { readTensor } from '../helpers/golden.js';

const limits = { maxElements: 1e6 };

function run(name: string, body: Record<string, unknown>) {
  const loss = findLoss(name);
  if (!loss) throw new Error(name);
  const out = runLoss(loss, body, limits);
  if (!out.ok) throw new Error(`${out.code}: ${out.detail}`);
  return JSON.parse(out.json) as { loss: unknown; grad?: Record<string, unknown> };
}

const values = (v: unknown) => readTensor(v, 'value').data;

const b64 = (xs: number[]) => Buffer.from(Float64Array.from(xs).buffer).toString('base64');

/** Random well-conditioned bodies for the seven seed losses. */
const seedBodies = fc.oneof(
  ...(['l1_loss', 'smooth_l1_loss', 'mse_loss', 'kl_div'] as const).map((loss) =>
    fc
      .array(fc.tuple(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: 0.05, max: 3, noNaN: true })), {
        minLength: 1,
        maxLength: 12,
      })
      .map((pairs) => ({
        loss,
        body: { input: pairs.map((p) => p[0]), target: pairs.map((p) => p[1]) } as Record<string, unknown>,
      })),
  ),
  fc
    .tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 2, max: 5 }),
      fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 20, maxLength: 20 }),
    )
    .map(([n, c, xs]) => ({
      loss: 'cross_entropy',
      body: {
        input: Array.from({ length: n }, (_, i) => Array.from({ length: c }, (_, j) => xs[(i * c + j) % 20] as number)),
        target: Array.from({ length: n }, (_, i) => i % c),
      } as Record<string, unknown>,
    })),
  fc
    .tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 2, max: 5 }),
      fc.array(fc.double({ min: -4, max: 0, noNaN: true }), { minLength: 20, maxLength: 20 }),
    )
    .map(([n, c, xs]) => ({
      loss: 'nll_loss',
      body: {
        input: Array.from({ length: n }, (_, i) => Array.from({ length: c }, (_, j) => xs[(i * c + j) % 20] as number)),
        target: Array.from({ length: n }, (_, i) => (i + 1) % c),
      } as Record<string, unknown>,
    })),
  fc
    .array(
      fc.tuple(
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.constantFrom(1, -1),
      ),
      { minLength: 1, maxLength: 12 },
    )
    .map((t) => ({
      loss: 'margin_ranking_loss',
      body: {
        input1: t.map((x) => x[0]),
        input2: t.map((x) => x[1]),
        target: t.map((x) => x[2]),
        margin: 0.1,
      } as Record<string, unknown>,
    })),
);

/** Rounding to float32 may move an input across a kink, where the gradient jumps. */
function awayFromKinks(loss: string, body: Record<string, unknown>): boolean {
  const far = (v: number) => Math.abs(v) > 1e-3;
  if (loss === 'l1_loss') return (body.input as number[]).every((x, i) => far(x - (body.target as number[])[i]!));
  if (loss === 'margin_ranking_loss') {
    const [a, b, y] = [body.input1, body.input2, body.target] as number[][];
    return a!.every((x, i) => far(-y![i]! * (x - b![i]!) + 0.1));
  }
  return true;
}

function expectClose(actual: number[], expected: number[], rtol: number, atol: number) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i] as number;
    expect(Math.abs(a - e), `element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(atol + rtol * Math.abs(e));
  });
}

describe('runLoss', () => {
  it('gives float32 results within 1e-5 relative of float64 on the seed losses', () => {
    fc.assert(
      fc.property(seedBodies, ({ loss, body }) => {
        fc.pre(awayFromKinks(loss, body));
        const f64 = run(loss, { ...body, reduction: 'none' });
        const f32 = run(loss, { ...body, reduction: 'none', dtype: 'float32' });
        expectClose(values(f32.loss), values(f64.loss), 1e-5, 1e-6);
        for (const [arg, g] of Object.entries(f64.grad ?? {}))
          expectClose(values(f32.grad?.[arg]), values(g), 1e-5, 1e-6);
      }),
      { numRuns: 200 },
    );
  });

  it('returns float32 values (rounded) under dtype float32, and 4-byte b64', () => {
    const r = run('mse_loss', { input: [0.1], target: [0], reduction: 'none', dtype: 'float32', encoding: 'b64' });
    const loss = r.loss as { dtype: string; b64: string };
    expect(loss.dtype).toBe('float32');
    expect(Buffer.from(loss.b64, 'base64').length).toBe(4);
    expect(run('mse_loss', { input: [0.1], target: [0], dtype: 'float32' }).loss).toBe(
      Math.fround(Math.fround(0.1) ** 2),
    );
  });

  it('computes the same numbers whatever the input form and response encoding', () => {
    const x = [0.5, -1.25, 3];
    const y = [1, 2, -0.5];
    const nested = run('smooth_l1_loss', { input: x, target: y, reduction: 'none' });
    const flat = run('smooth_l1_loss', {
      input: { shape: [3], data: x },
      target: { shape: [3], dtype: 'float64', b64: b64(y) },
      reduction: 'none',
      encoding: 'flat',
    });
    const binary = run('smooth_l1_loss', {
      input: { shape: [3], dtype: 'float64', b64: b64(x) },
      target: y,
      reduction: 'none',
      encoding: 'b64',
    });
    for (const r of [flat, binary]) {
      expect(values(r.loss)).toEqual(values(nested.loss));
      expect(values(r.grad?.input)).toEqual(values(nested.grad?.input));
    }
  });

  it('scales gradients linearly with grad_output', () => {
    fc.assert(
      fc.property(seedBodies, fc.double({ min: -5, max: 5, noNaN: true }), ({ loss, body }, g) => {
        const one = run(loss, body);
        const scaled = run(loss, { ...body, grad_output: g });
        for (const [arg, t] of Object.entries(one.grad ?? {})) {
          expectClose(
            values(scaled.grad?.[arg]),
            values(t).map((v) => v * g),
            1e-12,
            1e-12,
          );
        }
      }),
      { numRuns: 100 },
    );
  });

  it('writes non-finite values as the strings API.md names, both ways', () => {
    const r = run('l1_loss', { input: ['NaN', 'Infinity', 1], target: [0, 0, '-Infinity'], reduction: 'none' });
    expect(r.loss).toEqual(['NaN', 'Infinity', 'Infinity']);
    expect(r.grad?.input).toEqual([0, 1, 1]);
  });

  it('returns no grad member for grad_wrt [] and every asked gradient otherwise', () => {
    expect(run('mse_loss', { input: [1], target: [0], grad_wrt: [] })).toEqual({ loss: 1 });
    expect(Object.keys(run('mse_loss', { input: [1], target: [0], grad_wrt: ['target', 'input'] }).grad ?? {})).toEqual(
      ['target', 'input'],
    );
  });
});
