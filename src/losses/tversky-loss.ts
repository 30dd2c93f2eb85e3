// tversky_loss, the Tversky loss (Salehi et al. 2017, arXiv:1706.05721) as MONAI 1.5's
// monai.losses.TverskyLoss with no activation and no one-hot conversion.
//
// Per (sample n, channel c), or per channel over the whole batch when `batch` is true, summing
// over the spatial positions j:
//   tp = Σ x y     fp = Σ x (1 - y)     fn = Σ (1 - x) y
//   soft_label:  tp = (|x|₁ + |y|₁ - |x - y|₁) / 2,  fp = |x|₁ - tp,  fn = |y|₁ - tp
//   L = 1 - (tp + smooth_nr) / (tp + alpha fp + beta fn + smooth_dr)
//
// alpha weighs false positives and beta false negatives (MONAI and the paper); alpha = beta =
// 0.5 is the soft Dice loss. The soft_label form (MONAI >= 1.4) equals the plain one for hard
// labels and x in [0, 1], and stays right for soft labels. The backward is autograd's chain,
// written as its products so that the empty-channel inf/NaN appear where MONAI's do:
//   q = num / den,  ∂num = -G / den,  ∂den = G num / den²   (∂tp = ∂num + ∂den, ∂fp = alpha ∂den, ...)
// and, for soft_label, |t|' = sign(t), 0 at t = 0 (torch's abs backward).
// include_background false drops channel 0 first (ignored with one channel, as MONAI warns).

import { z } from 'zod';
import { showShape } from '../numeric/shape.js';
import type { FloatArray } from '../numeric/tensor.js';
import { booleanOption, reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { predictionArg, targetArg } from './args.js';
import { refuse } from './check.js';

const nonNegative = (name: string, fallback: number, description: string) =>
  z.number().min(0, `${name} must be >= 0`).default(fallback).describe(`${description} (>= 0).`);

const options = z.object({
  alpha: nonNegative('alpha', 0.5, 'Weight of the false positives'),
  beta: nonNegative('beta', 0.5, 'Weight of the false negatives'),
  smooth_nr: nonNegative('smooth_nr', 1e-5, 'Added to the numerator tp'),
  smooth_dr: nonNegative('smooth_dr', 1e-5, 'Added to the denominator'),
  batch: booleanOption(false, 'Sum over the batch too: one value per channel instead of per sample and channel.'),
  include_background: booleanOption(true, 'Keep channel 0; false drops it (ignored when there is one channel).'),
  soft_label: booleanOption(
    false,
    'Compute tp, fp, fn from L1 norms, (|x| + |y| - |x - y|) / 2, which is right for soft labels too.',
  ),
  reduction: reductionOption(),
});

interface Plan {
  readonly N: number;
  readonly C: number;
  /** First channel kept (1 when the background is dropped). */
  readonly c0: number;
  /** Spatial positions per (sample, channel). */
  readonly inner: number;
}

const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : v);

export const tverskyLoss = defineLoss({
  name: 'tversky_loss',
  aliases: [],
  summary: 'Tversky loss per sample and channel: Dice with separate weights on false positives and negatives.',
  formula:
    'L[n, c] = 1 - (tp + smooth_nr) / (tp + alpha fp + beta fn + smooth_dr), tp = sum x y, fp = sum x (1 - y), fn = sum (1 - x) y over spatial positions',
  latex:
    '\\ell_{nc} = 1 - \\frac{TP + s_{nr}}{TP + \\alpha\\,FP + \\beta\\,FN + s_{dr}},\\quad TP = \\sum_j x_j y_j,\\ FP = \\sum_j x_j (1 - y_j),\\ FN = \\sum_j (1 - x_j) y_j',
  reference:
    'monai.losses.TverskyLoss (MONAI 1.5, no activation, to_onehot_y=False); Salehi et al. 2017, arXiv:1706.05721',
  args: [
    predictionArg('input', 'Predicted probabilities, (N, C, d1, ...) with at least one spatial dimension.'),
    targetArg('target', 'Targets (one-hot, multi-label or soft), the same shape as input.'),
  ],
  example: {
    input: [[[0.9, 0.2, 0.1]], [[0.3, 0.8, 0.6]]],
    target: [[[1, 0, 0]], [[0, 1, 1]]],
    alpha: 0.3,
    beta: 0.7,
  },
  options,
  check: (args, opts): CheckResult<Plan> => {
    const x = args.input;
    const y = args.target;
    if (x.shape.length < 3) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/input',
        `input must be (N, C, d1, ...) with at least one spatial dim, got ${showShape(x.shape)}`,
      );
    }
    if (y.shape.length !== x.shape.length || y.shape.some((d, i) => d !== x.shape[i])) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/target',
        `target has shape ${showShape(y.shape)}, input ${showShape(x.shape)}: they must be equal`,
      );
    }
    const N = x.shape[0]!;
    const C = x.shape[1]!;
    const c0 = !opts.include_background && C > 1 ? 1 : 0;
    let inner = 1;
    for (let k = 2; k < x.shape.length; k++) inner *= x.shape[k]!;
    const kept = C - c0;
    const lossShape = opts.reduction !== 'none' ? [] : opts.batch ? [kept] : [N, kept];
    return { ok: true, lossShape, plan: { N, C, c0, inner } };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const xs = args.input.data;
    const ys = args.target.data;
    const { N, C, c0, inner } = plan;
    const { alpha, beta, smooth_nr: snr, smooth_dr: sdr, soft_label: soft } = opts;
    const kept = C - c0;
    // a group is the set of (sample, channel) blocks summed into one value
    const groups = opts.batch ? kept : N * kept;
    const perGroup = opts.batch ? N : 1;
    const blockOf = (g: number, m: number) =>
      opts.batch ? m * C + c0 + g : Math.floor(g / kept) * C + c0 + (g % kept);
    const none = opts.reduction === 'none';
    const out = none ? alloc(groups) : null;
    const gx = grad.wrt.includes('input') ? alloc(xs.length) : null;
    const gy = grad.wrt.includes('target') ? alloc(ys.length) : null;
    const G = opts.reduction === 'mean' ? grad.g / groups : grad.g;
    const Gamma = none ? grad.gamma : null;
    let sum = 0;
    for (let g = 0; g < groups; g++) {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      for (let m = 0; m < perGroup; m++) {
        const base = blockOf(g, m) * inner;
        if (soft) {
          // fp and fn hold |x|₁ and |y|₁ until tp is known
          for (let j = base; j < base + inner; j++) {
            const x = xs[j]!;
            const y = ys[j]!;
            fp += Math.abs(x);
            fn += Math.abs(y);
            tp += Math.abs(x - y);
          }
        } else {
          for (let j = base; j < base + inner; j++) {
            const x = xs[j]!;
            const y = ys[j]!;
            tp += x * y;
            fp += x * (1 - y);
            fn += (1 - x) * y;
          }
        }
      }
      if (soft) {
        const po = fp;
        const go = fn;
        tp = (po + go - tp) / 2;
        fp = po - tp;
        fn = go - tp;
      }
      const num = tp + snr;
      const den = tp + alpha * fp + beta * fn + sdr;
      const l = 1 - num / den;
      sum += l;
      if (out !== null) out[g] = l;
      if (gx === null && gy === null) continue;

      const Gg = Gamma === null ? G : Gamma[g]!;
      const gNum = -Gg / den;
      const gDen = (Gg * num) / (den * den);
      const gFp = alpha * gDen;
      const gFn = beta * gDen;
      const gTp = gNum + gDen;
      // soft_label: tp = (po + go - dd) / 2, fp = po - tp, fn = go - tp
      const gTpAll = gTp - gFp - gFn;
      const gPo = gTpAll / 2 + gFp;
      const gGo = gTpAll / 2 + gFn;
      const gDd = -gTpAll / 2;
      for (let m = 0; m < perGroup; m++) {
        const base = blockOf(g, m) * inner;
        for (let j = base; j < base + inner; j++) {
          const x = xs[j]!;
          const y = ys[j]!;
          if (soft) {
            const s = sign(x - y);
            if (gx !== null) gx[j] = gPo * sign(x) + gDd * s;
            if (gy !== null) gy[j] = gGo * sign(y) - gDd * s;
          } else {
            if (gx !== null) gx[j] = gTp * y + gFp * (1 - y) - gFn * y;
            if (gy !== null) gy[j] = gTp * x - gFp * x + gFn * (1 - x);
          }
        }
      }
    }
    const grads: Record<string, FloatArray> = {};
    if (gx !== null) grads.input = gx;
    if (gy !== null) grads.target = gy;
    return { loss: out ?? (opts.reduction === 'mean' ? sum / groups : sum), grads };
  },
});
