// Calling a loss through its descriptor, as the pipeline does, and checking its gradients
// against central finite differences (an oracle independent of the kernel's own backward);
// with the small helpers the kernel tests share (refusals, argument builders, properties).

import fc from 'fast-check';
import { expect } from 'vitest';
import type { FloatArray, FloatTensor, IntTensor } from '../../src/numeric/tensor.js';
import type { AnyLossDescriptor, CheckCode } from '../../src/registry/types.js';

export type TestArgs = Record<string, FloatTensor | IntTensor>;

export function f64(shape: number[], values: number[]): FloatTensor {
  return { shape, data: Float64Array.from(values) };
}

export function i32(shape: number[], values: number[]): IntTensor {
  return { shape, data: Int32Array.from(values) };
}

const alloc = (n: number) => new Float64Array(n);

/** Options with the descriptor's defaults filled in (as the envelope schema does). */
export function withDefaults<D extends AnyLossDescriptor>(
  loss: D,
  opts: Record<string, unknown> = {},
): Parameters<D['check']>[1] {
  return loss.options.parse(opts) as Parameters<D['check']>[1];
}

/** The meta step alone, with the descriptor's option defaults filled in. */
export function checkWith(loss: AnyLossDescriptor, args: TestArgs, opts: Record<string, unknown> = {}) {
  return loss.check(args, withDefaults(loss, opts));
}

/** What the meta step refuses an input with: its code, and the path and message of each issue. */
export interface Refusal {
  code: CheckCode;
  paths: string[];
  messages: string[];
}

/** The meta step's refusal of an input, or null when it accepts it. */
export function refusal(loss: AnyLossDescriptor, args: TestArgs, opts: Record<string, unknown> = {}): Refusal | null {
  const r = checkWith(loss, args, opts);
  if (r.ok) return null;
  return { code: r.code, paths: r.issues.map((i) => i.path), messages: r.issues.map((i) => i.message) };
}

/** The JSON Pointers of the options the descriptor's schema rejects ([] when it accepts them all). */
export function optionPaths(loss: AnyLossDescriptor, opts: Record<string, unknown>): string[] {
  const r = loss.options.safeParse(opts);
  return r.success ? [] : r.error.issues.map((i) => `/${i.path.join('/')}`);
}

/** Plain numbers, with -0 read as 0 (toEqual tells them apart). */
export function values(a: ArrayLike<number>): number[] {
  return Array.from(a, (v) => v + 0);
}

/** One 1-D tensor per name, the k-th holding entry k of every row. */
export function columnArgs<K extends string>(
  rows: ReadonlyArray<ArrayLike<number>>,
  names: readonly K[],
): Record<K, FloatTensor> {
  const args = {} as Record<K, FloatTensor>;
  names.forEach((name, k) => {
    args[name] = f64(
      [rows.length],
      rows.map((r) => r[k] as number),
    );
  });
  return args;
}

/** `{ input, target }` as 1-D tensors of the first and second entries of every row. */
export function pairArgs(rows: ReadonlyArray<ArrayLike<number>>): Record<'input' | 'target', FloatTensor> {
  return columnArgs(rows, ['input', 'target']);
}

/** Uniform reals on [min, max] in steps of 1e-6 of the range (fc.double favours tiny magnitudes). */
export function uniform(min: number, max: number): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: 1_000_000 }).map((k) => min + ((max - min) * k) / 1_000_000);
}

/** check + compute; throws with the issues when the meta step refuses the input. */
export function evaluate(
  loss: AnyLossDescriptor,
  args: TestArgs,
  opts: Record<string, unknown> = {},
  wrt: string[] = [],
  grad: { g?: number; gamma?: FloatArray | null } = {},
) {
  const o = withDefaults(loss, opts);
  const checked = loss.check(args, o);
  if (!checked.ok) throw new Error(`${checked.code}: ${JSON.stringify(checked.issues)}`);
  const result = loss.compute(args, o, checked.plan, { wrt, g: grad.g ?? 1, gamma: grad.gamma ?? null }, alloc);
  return { ...result, lossShape: checked.lossShape };
}

/**
 * Asserts that the "sum" reduction is `count` times the "mean" one (to 9 digits), both with
 * the other options `opts`.
 */
export function expectSumEqualsCountTimesMean(
  loss: AnyLossDescriptor,
  args: TestArgs,
  count: number,
  opts: Record<string, unknown> = {},
): void {
  const sum = evaluate(loss, args, { ...opts, reduction: 'sum' }).loss as number;
  const mean = evaluate(loss, args, { ...opts, reduction: 'mean' }).loss as number;
  expect(sum).toBeCloseTo(mean * count, 9);
}

/** The loss as one number: itself when reduced, Σ γ_i L_i for "none". */
function scalarLoss(loss: number | FloatArray, gamma: FloatArray | null): number {
  if (typeof loss === 'number') return loss;
  let s = 0;
  for (let i = 0; i < loss.length; i++) s += (gamma ? (gamma[i] as number) : 1) * (loss[i] as number);
  return s;
}

/**
 * Asserts that every gradient in `wrt` agrees with central differences of the loss:
 * |analytic - numeric| <= tol · max(1, |numeric|).
 */
export function expectGradientsMatchFiniteDifferences(
  loss: AnyLossDescriptor,
  args: TestArgs,
  opts: Record<string, unknown>,
  wrt: string[],
  { h = 1e-6, tol = 1e-5, gamma = null as FloatArray | null, g = 1 } = {},
): void {
  const base = evaluate(loss, args, opts, wrt, { g, gamma });
  for (const name of wrt) {
    const t = args[name] as FloatTensor;
    const analytic = base.grads[name] as FloatArray;
    expect(analytic.length).toBe(t.data.length);
    for (let i = 0; i < t.data.length; i++) {
      const at = (delta: number) => {
        const data = Float64Array.from(t.data);
        data[i] = (data[i] as number) + delta;
        const r = evaluate(loss, { ...args, [name]: { shape: t.shape, data } }, opts, [], { g, gamma });
        return g * scalarLoss(r.loss, gamma);
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      const a = analytic[i] as number;
      if (!(Math.abs(a - numeric) <= tol * Math.max(1, Math.abs(numeric)))) {
        throw new Error(`d loss / d ${name}[${i}]: analytic ${a}, numeric ${numeric} (Δ ${a - numeric})`);
      }
    }
  }
}

/** One row of class scores and its label. */
export type ScoredRow = [scores: number[], label: number];

/** 1 to `maxRows` rows of C scores in [lo, hi) and a label in [0, C), for C in [minC, maxC]. */
export function scoredRows(minC: number, maxC: number, lo: number, hi: number, maxRows: number) {
  return fc.integer({ min: minC, max: maxC }).chain((C) =>
    fc.array(fc.tuple(fc.array(uniform(lo, hi), { minLength: C, maxLength: C }), fc.integer({ min: 0, max: C - 1 })), {
      minLength: 1,
      maxLength: maxRows,
    }),
  );
}

/** The rows as the `scores` (N, C) and `labels` (N) tensors. */
export function scoredRowTensors(rs: readonly ScoredRow[]): { scores: FloatTensor; labels: IntTensor } {
  const C = rs[0]?.[0].length ?? 0;
  return {
    scores: f64(
      [rs.length, C],
      rs.flatMap((r) => r[0]),
    ),
    labels: i32(
      [rs.length],
      rs.map((r) => r[1]),
    ),
  };
}
