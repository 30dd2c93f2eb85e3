// multilabel_soft_margin_loss, torch.nn.functional.multilabel_soft_margin_loss.
// LOSSES.md §6 "multilabel_soft_margin_loss".
//
//   e_c = -( y_c logσ(x_c) + (1 - y_c) logσ(-x_c) )      ℓ = Σ_c w_c e_c / C   (axis k = input.ndim - 1)
//   H   = G w_c / C
//   dℓ/dx_c = H (1 - y_c) σ(x_c) - H y_c σ(-x_c)      dℓ/dy_c = H logσ(-x_c) - H logσ(x_c)
//   dℓ/dw_c = G e_c / C
//
// PyTorch builds this loss from elementwise ops, so the gradients are kept in the distributed
// form autograd produces: with w = ±inf the compact H (σ(x) - y) would give ±inf where PyTorch
// gets inf - inf = NaN. logσ is the stable form, so x = 900, y = 0 gives e = 900, not inf.
// The three tensors broadcast in any direction; the class axis counts from the left of the
// broadcast shape (as PyTorch's `sum(dim=input.dim() - 1)` does), while C is input's last size.
// PyTorch multiplies by the weight after taking the loss at broadcast(input, target), so when
// the weight enlarges the shape the input and target gradients are taken there (pairGrads).

import { z } from 'zod';
import { reduced, upstream } from '../numeric/reduce.js';
import { broadcastShapes, expandTo, numel, sameShape, showShape, sumTo } from '../numeric/shape.js';
import { logSigmoid, sigmoid } from '../numeric/stable.js';
import type { FloatArray, FloatTensor } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { PAIR_EXAMPLE, predictionArg, targetArg, weightArg } from './args.js';
import { refuse } from './check.js';

const OP = 'multilabel_soft_margin_loss';

const options = z.object({ reduction: reductionOption() });

interface Plan {
  /** Broadcast shape of input, target and weight. */
  readonly shape: readonly number[];
  /** Broadcast shape of input and target, where the unweighted loss is taken. */
  readonly pair: readonly number[];
  /** Product of the broadcast dimensions before the class axis. */
  readonly outer: number;
  /** Size of the class axis in the broadcast shape. */
  readonly K: number;
  /** Product of the broadcast dimensions after the class axis (1 unless target/weight add dims). */
  readonly inner: number;
  /** input.shape[-1], the divisor. */
  readonly C: number;
}

/** A gradient buffer in the broadcast shape: the final array itself when no reduction is needed. */
function gradBuffer(n: number, own: readonly number[], shape: readonly number[], alloc: (n: number) => FloatArray) {
  return sameShape(own, shape) ? alloc(n) : new Float64Array(n);
}

/**
 * Input and target gradients when weight enlarges the broadcast shape. PyTorch applies the
 * weight last (`loss * weight`), so the upstream U reaching the unweighted loss is Σ H·w summed
 * to `pair` = broadcast(input, target) first, and the gradients are taken there:
 *   dx = U (1 - y) σ(x) - U y σ(-x)      dy = U logσ(-x) - U logσ(x)
 * (a broadcast input summed before σ, as in compute). An empty weight broadcast leaves U = 0,
 * which still meets non-finite factors: 0·inf = NaN, as in PyTorch.
 */
function pairGrads(
  input: FloatTensor,
  target: FloatTensor,
  pair: readonly number[],
  U: FloatArray,
  wantX: boolean,
  wantY: boolean,
  grads: Record<string, FloatArray>,
  alloc: (n: number) => FloatArray,
): void {
  const m = numel(pair);
  const f64 = (k: number) => new Float64Array(k);
  const x = expandTo(input.data, input.shape, pair, f64);
  const y = expandTo(target.data, target.shape, pair, f64);
  if (wantX) {
    const own = sameShape(input.shape, pair);
    const gx = own ? alloc(m) : null;
    const ga = own ? null : new Float64Array(m);
    const gb = own ? null : new Float64Array(m);
    for (let j = 0; j < m; j++) {
      const u = U[j]!;
      const xj = x[j]!;
      const yj = y[j]!;
      if (gx !== null) gx[j] = u * (1 - yj) * sigmoid(xj) - u * yj * sigmoid(-xj);
      else {
        (ga as Float64Array)[j] = u * (1 - yj);
        (gb as Float64Array)[j] = u * yj;
      }
    }
    if (gx !== null) grads.input = gx;
    else {
      const sa = sumTo(ga as Float64Array, pair, input.shape, f64);
      const sb = sumTo(gb as Float64Array, pair, input.shape, f64);
      const gi = alloc(input.data.length);
      for (let k = 0; k < gi.length; k++) {
        const xk = input.data[k]!;
        gi[k] = sa[k]! * sigmoid(xk) - sb[k]! * sigmoid(-xk);
      }
      grads.input = gi;
    }
  }
  if (wantY) {
    const gy = gradBuffer(m, target.shape, pair, alloc);
    for (let j = 0; j < m; j++) {
      const u = U[j]!;
      const xj = x[j]!;
      gy[j] = u * logSigmoid(-xj) - u * logSigmoid(xj);
    }
    grads.target = sumTo(gy, pair, target.shape, alloc);
  }
}

const ARGS = [
  predictionArg('input', 'Logits with classes on the last axis: (C), (N, C) or (N, ..., C).'),
  targetArg('target', 'Per-class targets (usually 0/1, soft targets allowed); broadcasts with input.'),
  weightArg('Per-class weights, usually (C); broadcasts with input.', true),
] as const;

export const multilabelSoftMarginLoss = defineLoss({
  name: OP,
  aliases: [],
  summary: 'Per-class logistic loss averaged over classes.',
  formula: 'L = -(1/C) sum_c w_c (y_c logsigmoid(x_c) + (1 - y_c) logsigmoid(-x_c))',
  latex: '\\ell = -\\frac{1}{C}\\sum_c w_c \\left( y_c \\log\\sigma(x_c) + (1 - y_c) \\log\\sigma(-x_c) \\right)',
  reference: 'torch.nn.functional.multilabel_soft_margin_loss (PyTorch 1.13)',
  args: ARGS,
  options,
  example: PAIR_EXAMPLE,
  check: (args, opts): CheckResult<Plan> => {
    const input = args.input;
    const target = args.target;
    const weight = args.weight;
    if (input.shape.length === 0) {
      return refuse('LOSSD_SHAPE_MISMATCH', '/input', `${OP}: input must have a class axis, got shape []`);
    }
    const pair = broadcastShapes(input.shape, target.shape);
    if (pair === null) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/target',
        `${OP}: target shape ${showShape(target.shape)} does not broadcast with input shape ${showShape(input.shape)}`,
      );
    }
    let shape = pair;
    if (weight !== undefined) {
      const withWeight = broadcastShapes(shape, weight.shape);
      if (withWeight === null) {
        return refuse(
          'LOSSD_SHAPE_MISMATCH',
          '/weight',
          `${OP}: weight shape ${showShape(weight.shape)} does not broadcast with input ${showShape(input.shape)} and target ${showShape(target.shape)}`,
        );
      }
      shape = withWeight;
    }
    const k = input.shape.length - 1;
    const outer = numel(shape.slice(0, k));
    const K = shape[k]!;
    const inner = numel(shape.slice(k + 1));
    const sampleShape = [...shape.slice(0, k), ...shape.slice(k + 1)];
    return {
      ok: true,
      lossShape: opts.reduction === 'none' ? sampleShape : [],
      plan: { shape, pair, outer, K, inner, C: input.shape[k]! },
    };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const input = args.input;
    const target = args.target;
    const weight = args.weight;
    const { shape, outer, K, inner, C } = plan;
    const n = numel(shape);
    const S = outer * inner;
    const f64 = (m: number) => new Float64Array(m);
    const x = expandTo(input.data, input.shape, shape, f64);
    const y = expandTo(target.data, target.shape, shape, f64);
    const w = weight === undefined ? null : expandTo(weight.data, weight.shape, shape, f64);

    const acc = new Float64Array(S);
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < K; c++) {
        const base = (o * K + c) * inner;
        for (let i = 0; i < inner; i++) {
          const idx = base + i;
          const xi = x[idx]!;
          const yi = y[idx]!;
          const e = -(yi * logSigmoid(xi) + (1 - yi) * logSigmoid(-xi));
          const s = o * inner + i;
          acc[s] = acc[s]! + (w === null ? e : e * w[idx]!);
        }
      }
    }
    const none = opts.reduction === 'none';
    let total = 0;
    const out = none ? alloc(S) : null;
    for (let s = 0; s < S; s++) {
      const l = acc[s]! / C;
      total += l;
      if (out !== null) out[s] = l;
    }

    const grads: Record<string, FloatArray> = {};
    const wantX = grad.wrt.includes('input');
    const wantY = grad.wrt.includes('target');
    const wantW = weight !== undefined && grad.wrt.includes('weight');
    if (wantX || wantY || wantW) {
      // When weight enlarges the shape, input and target gradients come from pairGrads (below).
      const weighted = (wantX || wantY) && !sameShape(plan.pair, shape);
      const gu = weighted ? new Float64Array(n) : null;
      // A broadcast input is summed where PyTorch sums it, at the products with (1 - y) and y,
      // before logσ's backward applies σ(±x): σ(x)·ΣA - σ(-x)·ΣB. That differs from summing the
      // per-element gradients only for a non-finite σ or an empty broadcast (a NaN input still
      // gets σ(NaN)·0 = NaN, as in PyTorch).
      const xBroadcast = wantX && !weighted && input.data.length !== n;
      const gx = wantX && !weighted && !xBroadcast ? gradBuffer(n, input.shape, shape, alloc) : null;
      const ga = xBroadcast ? new Float64Array(n) : null;
      const gb = xBroadcast ? new Float64Array(n) : null;
      const gy = wantY && !weighted ? gradBuffer(n, target.shape, shape, alloc) : null;
      const gw = wantW ? gradBuffer(n, weight!.shape, shape, alloc) : null;
      const G = none ? 1 : upstream(opts.reduction, grad.g, S);
      const gamma = none ? grad.gamma : null;
      for (let o = 0; o < outer; o++) {
        for (let c = 0; c < K; c++) {
          const base = (o * K + c) * inner;
          for (let i = 0; i < inner; i++) {
            const idx = base + i;
            const s = o * inner + i;
            const H = (gamma === null ? G : gamma[s]!) / C;
            const Hw = w === null ? H : H * w[idx]!;
            const xi = x[idx]!;
            const yi = y[idx]!;
            if (gx !== null) gx[idx] = Hw * (1 - yi) * sigmoid(xi) - Hw * yi * sigmoid(-xi);
            if (ga !== null && gb !== null) {
              ga[idx] = Hw * (1 - yi);
              gb[idx] = Hw * yi;
            }
            if (gy !== null) gy[idx] = Hw * logSigmoid(-xi) - Hw * logSigmoid(xi);
            if (gw !== null) gw[idx] = H * -(yi * logSigmoid(xi) + (1 - yi) * logSigmoid(-xi));
            if (gu !== null) gu[idx] = Hw;
          }
        }
      }
      if (gx !== null) grads.input = sumTo(gx, shape, input.shape, alloc);
      if (ga !== null && gb !== null) {
        const sa = sumTo(ga, shape, input.shape, f64);
        const sb = sumTo(gb, shape, input.shape, f64);
        const gi = alloc(input.data.length);
        for (let k = 0; k < gi.length; k++) {
          const xk = input.data[k]!;
          gi[k] = sa[k]! * sigmoid(xk) - sb[k]! * sigmoid(-xk);
        }
        grads.input = gi;
      }
      if (gy !== null) grads.target = sumTo(gy, shape, target.shape, alloc);
      if (gw !== null) grads.weight = sumTo(gw, shape, weight!.shape, alloc);
      if (gu !== null)
        pairGrads(input, target, plan.pair, sumTo(gu, shape, plan.pair, f64), wantX, wantY, grads, alloc);
    }
    return { loss: out ?? reduced(opts.reduction, total, S), grads };
  },
});
