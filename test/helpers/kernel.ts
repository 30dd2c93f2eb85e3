// Calling a loss through its descriptor, as the pipeline does, and checking its gradients
// against central finite differences (an oracle independent of the kernel's own backward).

import { expect } from 'vitest';
import type { AnyLossDescriptor, FloatArray, FloatTensor, IntTensor } from '../../src/registry/types.js';

export type TestArgs = Record<string, FloatTensor | IntTensor>;

export function f64(shape: number[], values: number[]): FloatTensor {
  return { shape, data: Float64Array.from(values) };
}

export function i32(shape: number[], values: number[]): IntTensor {
  return { shape, data: Int32Array.from(values) };
}

const alloc = (n: number) => new Float64Array(n);

/** Options with the descriptor's defaults filled in (as the envelope schema does). */
export function withDefaults<D extends AnyLossDescriptor>(loss: D, opts: Record<string, unknown> = {}): Parameters<D['check']>[1] {
  return loss.options.parse(opts) as Parameters<D['check']>[1];
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
