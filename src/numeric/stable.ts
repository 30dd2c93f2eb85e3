// Numerically stable building blocks, each written once (LOSSES.md 3.10).

import { exp } from './exp.js';
import type { FloatArray } from './tensor.js';

/**
 * Log-softmax of the `C` values at `src[offset + c·stride]`, written to `dst` at the same
 * positions (dst may be src's own layout in another array):
 *
 *   m = max_c z_c          lp_c = (z_c - m) - log Σ_c' exp(z_c' - m)
 *
 * No special case for an infinite maximum: a +inf or NaN logit, or a row of all -inf, makes
 * the whole row NaN, as in PyTorch. A -inf logit with a finite maximum gets lp = -inf.
 */
export function logSoftmaxStrided(src: FloatArray, dst: FloatArray, offset: number, stride: number, C: number): void {
  let m = Number.NEGATIVE_INFINITY;
  let nan = false;
  for (let c = 0, k = offset; c < C; c++, k += stride) {
    const z = src[k]!;
    if (z > m) m = z;
    else if (Number.isNaN(z)) nan = true;
  }
  if (nan) m = Number.NaN;
  let s = 0;
  for (let c = 0, k = offset; c < C; c++, k += stride) s += Math.exp(src[k]! - m);
  // (z - m) - log s, in PyTorch's order: z - (m + log s) loses an ulp of m for large logits
  const logS = Math.log(s);
  for (let c = 0, k = offset; c < C; c++, k += stride) dst[k] = src[k]! - m - logS;
}

/**
 * The shift of a log-softmax: max_c z_c over the `C` values at `src[offset + c·stride]`, or NaN
 * when one of them is NaN (so that the whole position turns NaN, as in PyTorch).
 */
export function rowMax(src: FloatArray, offset: number, stride: number, C: number): number {
  let m = Number.NEGATIVE_INFINITY;
  let nan = false;
  for (let c = 0, k = offset; c < C; c++, k += stride) {
    const z = src[k]!;
    if (z > m) m = z;
    else if (Number.isNaN(z)) nan = true;
  }
  return nan ? Number.NaN : m;
}

/**
 * e[c] = exp(z_c - m) for the `C` values at `src[offset + c·stride]`, and returns Σ_c e[c]:
 * the one exp per element a softmax needs. With s the sum, lp_c = (z_c - m) - log s and
 * softmax_c = e[c] / s, so neither needs a second exp. The exp is ./exp.ts's (within 2 ulp
 * of Math.exp, inlined): it is the whole cost of a softmax.
 */
export function shiftedExp(
  src: FloatArray,
  offset: number,
  stride: number,
  C: number,
  m: number,
  e: Float64Array,
): number {
  let s = 0;
  for (let c = 0, k = offset; c < C; c++, k += stride) {
    const v = exp(src[k]! - m);
    e[c] = v;
    s += v;
  }
  return s;
}

/** σ(v) = 1 / (1 + exp(-v)), so σ(36.5) = 1 - 2^-52 exactly as PyTorch and σ(±inf) = 1 or 0. */
export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** log σ(v) = min(v, 0) - log1p(exp(-|v|)), finite for every finite v. */
export function logSigmoid(v: number): number {
  return Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v)));
}

/** softplus(v) = log(1 + exp(v)) = max(v, 0) + log1p(exp(-|v|)), without overflow. */
export function softplus(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}
