// softmax_focal_loss, the multi-class focal loss (Lin et al. 2017, arXiv:1708.02002) as Keras 3's
// keras.losses.categorical_focal_crossentropy(y_true, y_pred, alpha, gamma, from_logits=True,
// label_smoothing, axis=-1): one value per sample, classes on the last axis.
//
//   y = (1 - ls) y + ls / C  (ls > 0)     p = softmax(z)     o = clip(p / Σp, 1e-7, 1 - 1e-7)
//   L = Σ_c alpha (1 - o_c)^gamma (-y_c log o_c)
//
// The clip is Keras's epsilon and part of the definition: a probability outside the bounds is
// replaced by the bound and passes no gradient (inside, bounds included, it passes, as torch's
// clamp). Class indices are lossd's convenience (Keras takes one-hot rows): they stand for the
// one-hot row and are not differentiable. The backward is autograd's chain through Keras's
// ops: the focal product, the clip mask, the renormalisation p / Σp, then the softmax; the pow
// node passes exactly 0 for gamma = 0 (torch's pow backward).

import { z } from 'zod';
import { showShape } from '../numeric/shape.js';
import { rowMax, shiftedExp } from '../numeric/stable.js';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { predictionArg } from './args.js';
import { refuse } from './check.js';
import { elementPath } from './element-path.js';

const EPSILON = 1e-7;

const options = z.object({
  alpha: z.number().min(0, 'alpha must be >= 0').default(0.25).describe('Weight of every class term (>= 0).'),
  gamma: z
    .number()
    .min(0, 'gamma must be >= 0')
    .default(2)
    .describe('Focusing exponent on (1 - o_c) (>= 0; 0 gives alpha-weighted cross-entropy).'),
  label_smoothing: z
    .number()
    .min(0, 'label_smoothing must be in [0, 1]')
    .max(1, 'label_smoothing must be in [0, 1]')
    .default(0)
    .describe('Mixes y_true with the uniform distribution: (1 - ls) y + ls / C, ls in [0, 1].'),
  reduction: reductionOption(),
});

interface Plan {
  /** Samples: numel(y_pred) / C. */
  readonly M: number;
  readonly C: number;
  /** Class of each sample when y_true holds indices; null when it holds rows. */
  readonly classes: Int32Array | null;
}

const INDICES_NOT_DIFFERENTIABLE = "'y_true' is an integer argument (class indices) and has no gradient";

export const softmaxFocalLoss = defineLoss({
  name: 'softmax_focal_loss',
  aliases: [],
  summary: 'Multi-class focal loss on logits (Keras categorical_focal_crossentropy), one value per sample.',
  formula:
    'L = sum_c alpha (1 - o_c)^gamma (-y_c log o_c), o = clip(softmax(z), 1e-7, 1 - 1e-7), y smoothed to (1 - ls) y + ls / C',
  latex:
    '\\ell = \\sum_c \\alpha\\,(1 - o_c)^{\\gamma}\\,(-y_c \\log o_c),\\quad o = \\mathrm{clip}(\\mathrm{softmax}(z), 10^{-7}, 1 - 10^{-7})',
  reference:
    'keras.losses.categorical_focal_crossentropy(from_logits=True) (Keras 3); Lin et al. 2017, arXiv:1708.02002',
  args: [
    {
      name: 'y_true',
      kind: 'float-or-int',
      required: true,
      differentiable: true,
      gradByDefault: false,
      differentiableWhen: 'only with one-hot or probability targets (float, shaped like y_pred)',
      description:
        "Class indices shaped like y_pred without its last axis, or one-hot/probability rows shaped like y_pred (Keras's form).",
    },
    predictionArg('y_pred', 'Logits (..., C), C >= 1, classes on the last axis.'),
  ],
  example: {
    y_true: [2, 0],
    y_pred: [
      [0.5, -1, 2],
      [1.5, 0.2, -0.3],
    ],
    alpha: 0.25,
    gamma: 2,
  },
  options,
  check: (args, opts): CheckResult<Plan> => {
    const z = args.y_pred;
    const y = args.y_true;
    const rank = z.shape.length;
    const C = rank > 0 ? z.shape[rank - 1]! : 0;
    if (C < 1) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/y_pred',
        `y_pred must be logits (..., C) with C >= 1, got ${showShape(z.shape)}`,
      );
    }
    const rows = z.shape.slice(0, -1);
    const M = z.data.length / C;
    const lossShape = opts.reduction === 'none' ? rows : [];
    const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
    if (same(y.shape, z.shape)) return { ok: true, lossShape, plan: { M, C, classes: null } };
    if (!same(y.shape, rows)) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/y_true',
        `y_true must be class indices of shape ${showShape(rows)} or one-hot/probabilities of shape ${showShape(z.shape)}, got ${showShape(y.shape)}`,
      );
    }
    const classes = new Int32Array(M);
    for (let i = 0; i < M; i++) {
      const v = y.data[i]!;
      if (!Number.isInteger(v)) {
        return refuse('LOSSD_INVALID_VALUE', elementPath('y_true', y.shape, i), `y_true holds integers; got ${v}`);
      }
      if (v < 0 || v >= C) {
        return refuse('LOSSD_INVALID_VALUE', elementPath('y_true', y.shape, i), `class index out of range [0, ${C})`);
      }
      classes[i] = v;
    }
    return { ok: true, lossShape, notDifferentiable: { y_true: INDICES_NOT_DIFFERENTIABLE }, plan: { M, C, classes } };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const zs = args.y_pred.data;
    const ys = args.y_true.data;
    const { M, C, classes } = plan;
    const { alpha, gamma } = opts;
    const ls = opts.label_smoothing;
    // Keras's bounds in the request's dtype
    const f32 = zs instanceof Float32Array;
    const lo = f32 ? Math.fround(EPSILON) : EPSILON;
    const hi = f32 ? Math.fround(1 - EPSILON) : 1 - EPSILON;
    const none = opts.reduction === 'none';
    const out = none ? alloc(M) : null;
    const gz = grad.wrt.includes('y_pred') ? alloc(zs.length) : null;
    const gy = grad.wrt.includes('y_true') ? alloc(ys.length) : null;
    const G = opts.reduction === 'mean' ? grad.g / M : grad.g;
    const Gamma = none ? grad.gamma : null;
    // per-row scratch: softmax, clipped probability, target, and the forward's pow and log
    const p = new Float64Array(C);
    const o = new Float64Array(C);
    const t = new Float64Array(C);
    const mod = new Float64Array(C);
    const logO = new Float64Array(C);
    const a = new Float64Array(C);
    let sum = 0;
    for (let i = 0; i < M; i++) {
      const base = i * C;
      const se = shiftedExp(zs, base, 1, C, rowMax(zs, base, 1, C), p);
      let sp = 0;
      for (let c = 0; c < C; c++) {
        const v = p[c]! / se;
        p[c] = v;
        sp += v;
      }
      let l = 0;
      for (let c = 0; c < C; c++) {
        const raw = p[c]! / sp;
        const oc = raw < lo ? lo : raw > hi ? hi : raw;
        o[c] = oc;
        let y = classes === null ? ys[base + c]! : c === classes[i] ? 1 : 0;
        if (ls > 0) y = y * (1 - ls) + ls / C;
        t[c] = y;
        const m = (1 - oc) ** gamma;
        const lg = Math.log(oc);
        mod[c] = m;
        logO[c] = lg;
        l += alpha * m * (-y * lg);
      }
      sum += l;
      if (out !== null) out[i] = l;
      if (gz === null && gy === null) continue;

      const Gi = Gamma === null ? G : Gamma[i]!;
      // ∂L/∂o_c through the focal product, masked by the clip; Σ_c of it times p_c for p / Σp
      let ap = 0;
      for (let c = 0; c < C; c++) {
        const oc = o[c]!;
        const y = t[c]!;
        const m = mod[c]!;
        const lg = logO[c]!;
        const gCce = Gi * (m * alpha);
        if (gy !== null) gy[base + c] = gCce * -lg * (ls > 0 ? 1 - ls : 1);
        // (1 - o)^(gamma - 1) = mod / (1 - o): o <= 1 - 1e-7 after the clip
        const dMod = gamma === 0 ? 0 : Gi * (-y * lg) * alpha * (gamma * (m / (1 - oc))) * -1;
        const raw = p[c]! / sp;
        const ac = raw >= lo && raw <= hi ? (gCce * -y) / oc + dMod : 0;
        a[c] = ac;
        ap += ac * p[c]!;
      }
      if (gz === null) continue;
      // o = p / Σp: ∂p_j = a_j / Σp - Σ_c a_c p_c / Σp²; then the softmax backward
      let dpp = 0;
      for (let c = 0; c < C; c++) {
        const dp = a[c]! / sp - ap / (sp * sp);
        a[c] = dp;
        dpp += dp * p[c]!;
      }
      for (let c = 0; c < C; c++) gz[base + c] = p[c]! * (a[c]! - dpp);
    }
    const grads: Record<string, FloatArray> = {};
    if (gz !== null) grads.y_pred = gz;
    if (gy !== null) grads.y_true = gy;
    return { loss: out ?? (opts.reduction === 'mean' ? sum / M : sum), grads };
  },
});
