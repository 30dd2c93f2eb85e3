// cross_entropy, torch.nn.functional.cross_entropy. LOSSES.md §5 "cross_entropy".
//
// PyTorch computes it as nll_loss on a log-softmax over the class dimension, so everything
// here is one log-softmax per position, lp = log_softmax(z), and the gradient reaches the
// logits through its backward: ∂/∂z[c] = a[c] - softmax[c] · Σ_c' a[c'], a = ∂loss/∂lp.
//
// Class indices (target shaped like input without the class dim), ε = label_smoothing if > 0:
//   ℓ_i = v_i · (-w[y_i] · lp_i[y_i])        s_i = v_i · (-Σ_c w[c] · lp_i[c])
//   W   = Σ_i v_i · w[y_i]
//   L_i = (1 - ε) ℓ_i + (ε / C) s_i          mean = (1 - ε) Σℓ / W + (Σs / W) (ε / C)
// The smoothing term is divided by the same W as the nll term (PyTorch keeps the two
// normalizations consistent), which is why ε is not folded into a smoothed one-hot target.
//
// Probabilities (target shaped like input):
//   P' = (1 - ε) P + ε / C     L_i = -Σ_c w[c] · P'_i[c] · lp_i[c]     mean = Σ L_i / (numel / C)
// Here weights do not enter the denominator: PyTorch divides by the number of positions.
//
// Gradients are products in PyTorch's order (G times masks times local factors), never
// branches, so 0 · inf = NaN shows up exactly where autograd produces it: W = 0 gives NaN rows,
// P' = 0 with lp = -inf a NaN loss. Ignored positions receive a = 0 exactly, and their row is
// still pushed through the log-softmax backward (0 - softmax · 0), as autograd does.

import { z } from 'zod';
import { allocFull } from '../numeric/alloc.js';
import { type ClassLayout, classLayout, sameShape, showShape } from '../numeric/shape.js';
import { rowMax, shiftedExp } from '../numeric/stable.js';
import type { Alloc, FloatArray, Reduction } from '../numeric/tensor.js';
import { integerOption, reductionOption } from '../registry/options.js';
import { type ArgsOf, type CheckResult, defineLoss, type GradRequest, type KernelResult } from '../registry/types.js';
import { CLASS_INDEX_EXAMPLE, predictionArg, weightArg } from './args.js';
import { checkClassIndex, checkClassWeight, refuse } from './check.js';

const PROBS_ONLY = 'only with class-probability targets (float, same shape as input)';

const options = z.object({
  reduction: reductionOption(),
  ignore_index: integerOption(
    -100,
    'A class-index target value that is ignored (it adds nothing to the loss nor to W). With probability targets it must be negative.',
  ),
  label_smoothing: z
    .number()
    .max(1, 'cross_entropy: label_smoothing must be between 0.0 and 1.0')
    .default(0)
    .describe('Mixes the target with the uniform distribution: (1 - ε) target + ε / C. Values <= 0 mean none.'),
});

type Options = z.output<typeof options>;

interface Plan {
  readonly mode: 'index' | 'probs';
  readonly layout: ClassLayout;
  /** Effective smoothing ε: label_smoothing when positive, else 0. */
  readonly eps: number;
  /** Class-index mode: the class of each position, -1 where ignored (empty in probability mode). */
  readonly classes: Int32Array;
}

// Each position is one pass over its C logits, whose values stay in cache: the max, one exp per
// element (kept in a row of scratch), one log per position; then the loss and the gradient
// from those, with softmax_c = e_c / s in place of a second exp(lp_c). W (the mean's
// denominator) depends only on the targets, so it is summed first and the gradient is written
// in the same pass as the loss.

/** The log-softmax backward of one position: grad[k] = a[c] - softmax[c] · Σ a. */
function softmaxBackward(
  a: Float64Array,
  e: Float64Array,
  s: number,
  gi: FloatArray,
  base: number,
  inner: number,
  C: number,
): void {
  let sa = 0;
  for (let c = 0; c < C; c++) sa += a[c]!;
  for (let c = 0, k = base; c < C; c++, k += inner) gi[k] = a[c]! - (e[c]! / s) * sa;
}

const ARGS = [
  predictionArg('input', 'Logits (unnormalized scores): (C), (N, C) or (N, C, d1, ..., dk).'),
  {
    name: 'target',
    kind: 'float-or-int',
    required: true,
    differentiable: true,
    gradByDefault: false,
    differentiableWhen: PROBS_ONLY,
    description:
      'Class probabilities when shaped like input (any reals); otherwise class indices in [0, C) or ignore_index, shaped like input without the class dimension.',
  },
  weightArg('Optional weight of each class, 1-D with C elements.', true, PROBS_ONLY),
] as const;

/** The decoded arguments, typed from ARGS. */
type LossArgs = ArgsOf<typeof ARGS>;

function computeIndex(args: LossArgs, opts: Options, plan: Plan, grad: GradRequest, alloc: Alloc): KernelResult {
  const x = args.input.data;
  const w = args.weight?.data ?? null;
  const { layout, eps, classes: cls } = plan;
  const { N, C, inner } = layout;
  const M = cls.length;
  const smooth = eps > 0;
  const epsC = eps / C;
  const keep = 1 - eps;
  const reduction: Reduction = opts.reduction;
  const none = reduction === 'none';

  let W = 0;
  for (let p = 0; p < M; p++) {
    const y = cls[p]!;
    if (y >= 0) W += w === null ? 1 : w[y]!;
  }

  // every element of the gradient and of the none loss is written below
  const out = none ? allocFull(alloc, M) : null;
  const gi = grad.wrt.includes('input') ? allocFull(alloc, x.length) : null;
  const e = new Float64Array(C);
  const a = smooth && gi !== null ? new Float64Array(C) : null;
  const gamma = grad.gamma;
  // Upstream factors of a reduced loss, as autograd forms them: the nll term receives
  // -(g (1 - ε) / W) at lp[y] (times w[y]), the smoothing term -(g (ε / C) / W) at every lp[c]
  // (times w[c]); a sum drops the division by W.
  const gn = smooth ? grad.g * keep : grad.g;
  const gs = grad.g * epsC;
  const nllR = -(reduction === 'mean' ? gn / W : gn);
  const smR = -(reduction === 'mean' ? gs / W : gs);
  let sumL = 0;
  let sumS = 0;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < inner; j++) {
      const p = n * inner + j;
      const base = n * C * inner + j;
      const y = cls[p]!;
      const m = rowMax(x, base, inner, C);
      const s = shiftedExp(x, base, inner, C, m, e);
      const logS = Math.log(s);
      let l = 0;
      let sm = 0;
      if (y >= 0) {
        const wy = w === null ? 1 : w[y]!;
        // lp = (z - m) - log s, in PyTorch's order
        l = -(x[base + y * inner]! - m - logS) * wy;
        if (smooth) {
          let t = 0;
          if (w === null) for (let c = 0, k = base; c < C; c++, k += inner) t += x[k]! - m - logS;
          else for (let c = 0, k = base; c < C; c++, k += inner) t += (x[k]! - m - logS) * w[c]!;
          sm = -t;
        }
      }
      sumL += l;
      sumS += sm;
      if (out !== null) out[p] = smooth ? keep * l + sm * epsC : l;
      if (gi === null) continue;

      let nllG = 0;
      let smG = 0;
      if (y >= 0) {
        nllG = nllR;
        smG = smR;
        if (none) {
          const G = gamma === null ? 1 : gamma[p]!;
          nllG = -(smooth ? G * keep : G);
          smG = -(G * epsC);
        }
      }
      if (a !== null) {
        // label smoothing: every class receives something
        // An ignored position's smoothing term is masked to 0 after -Σ_c w[c]·lp[c] was formed,
        // so autograd still carries that 0 through the product with w: a[c] = 0 · w[c], NaN
        // where a weight is ±inf or NaN (and then the whole row, through the softmax backward).
        if (y < 0) {
          if (w === null) a.fill(0);
          else for (let c = 0; c < C; c++) a[c] = 0 * w[c]!;
        } else if (w === null) a.fill(smG);
        else for (let c = 0; c < C; c++) a[c] = smG * w[c]!;
        if (y >= 0) a[y] = a[y]! + (w === null ? nllG : w[y]! * nllG);
        softmaxBackward(a, e, s, gi, base, inner, C);
        continue;
      }
      // Only the target class receives A; Σ a = A, and a[c] = 0 elsewhere (0 - x keeps the
      // sign of zero that autograd produces).
      const A = y >= 0 ? (w === null ? nllG : w[y]! * nllG) : 0;
      const r = 1 / s;
      for (let c = 0, k = base; c < C; c++, k += inner) gi[k] = 0 - e[c]! * r * A;
      if (y >= 0) gi[base + y * inner] = A - e[y]! * r * A;
    }
  }
  let loss: number | FloatArray;
  if (out !== null) loss = out;
  else if (reduction === 'sum') loss = smooth ? keep * sumL + sumS * epsC : sumL;
  else loss = smooth ? keep * (sumL / W) + (sumS / W) * epsC : sumL / W;
  return { loss, grads: gi === null ? {} : { input: gi } };
}

function computeProbs(args: LossArgs, opts: Options, plan: Plan, grad: GradRequest, alloc: Alloc): KernelResult {
  const input = args.input;
  const x = input.data;
  const P = args.target.data;
  const w = args.weight?.data ?? null;
  const { layout, eps } = plan;
  const { N, C, inner } = layout;
  const M = N * inner;
  const smooth = eps > 0;
  const epsC = eps / C;
  const keep = 1 - eps;
  const reduction: Reduction = opts.reduction;

  const wantInput = grad.wrt.includes('input');
  const wantTarget = grad.wrt.includes('target');
  const wantWeight = grad.wrt.includes('weight');
  const anyGrad = wantInput || wantTarget || wantWeight;
  const out = reduction === 'none' ? allocFull(alloc, M) : null;
  const gi = wantInput ? allocFull(alloc, x.length) : null;
  const gt = wantTarget ? allocFull(alloc, x.length) : null;
  const accW = wantWeight ? new Float64Array(C) : null;
  const e = new Float64Array(C);
  const a = new Float64Array(C);
  const gamma = grad.gamma;
  // ∂loss/∂(lp · P' · w) for one position: -Γ_i, -g, or -(g / M).
  const reducedG = -(reduction === 'mean' ? grad.g / M : grad.g);
  let total = 0;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < inner; j++) {
      const p = n * inner + j;
      const base = n * C * inner + j;
      const m = rowMax(x, base, inner, C);
      const s = shiftedExp(x, base, inner, C, m, e);
      const logS = Math.log(s);
      let t = 0;
      for (let c = 0, k = base; c < C; c++, k += inner) {
        const pk = P[k]!;
        const pp = smooth ? pk * keep + epsC : pk;
        const l = x[k]! - m - logS;
        t += w === null ? l * pp : l * pp * w[c]!;
      }
      total += t;
      if (out !== null) out[p] = -t;
      if (!anyGrad) continue;
      const G = reduction === 'none' ? -(gamma === null ? 1 : gamma[p]!) : reducedG;
      for (let c = 0, k = base; c < C; c++, k += inner) {
        const pk = P[k]!;
        const pp = smooth ? pk * keep + epsC : pk;
        const l = x[k]! - m - logS;
        const gw = w === null ? G : G * w[c]!;
        a[c] = gw * pp;
        if (gt !== null) gt[k] = smooth ? gw * l * keep : gw * l;
        if (accW !== null) accW[c] = accW[c]! + G * (l * pp);
      }
      if (gi !== null) softmaxBackward(a, e, s, gi, base, inner, C);
    }
  }
  let loss: number | FloatArray;
  if (out !== null) loss = out;
  else if (reduction === 'sum') loss = -total;
  else loss = x.length === 0 ? Number.NaN : -total / M;

  const grads: Record<string, FloatArray> = {};
  if (gi !== null) grads.input = gi;
  if (gt !== null) grads.target = gt;
  if (accW !== null) {
    const gw = alloc(C);
    gw.set(accW);
    grads.weight = gw;
  }
  return { loss, grads };
}

export const crossEntropy = defineLoss({
  name: 'cross_entropy',
  aliases: [],
  summary: 'Softmax cross entropy against class indices or class probabilities.',
  formula:
    'L_i = -w[y_i] log softmax(x_i)[y_i] (class indices); L_i = -sum_c w[c] P_i[c] log softmax(x_i)[c] (probabilities); label smoothing mixes in eps/C',
  latex:
    '\\ell_i = -w_{y_i} \\log \\operatorname{softmax}(x_i)_{y_i} \\quad\\text{or}\\quad \\ell_i = -\\sum_c w_c\\, P_{i,c} \\log \\operatorname{softmax}(x_i)_c',
  reference: 'torch.nn.functional.cross_entropy (PyTorch 1.13)',
  args: ARGS,
  options,
  example: CLASS_INDEX_EXAMPLE,
  check: (args, opts): CheckResult<Plan> => {
    const input = args.input;
    const target = args.target;
    const eps = opts.label_smoothing > 0 ? opts.label_smoothing : 0;
    if (input.shape.length === 0) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/input',
        `cross_entropy: input must have at least 1 dimension (the class dimension), got a 0-d tensor (target ${showShape(target.shape)})`,
      );
    }
    const lossShapeOf = (layout: ClassLayout) => (opts.reduction === 'none' ? layout.positionShape : []);
    if (sameShape(input.shape, target.shape)) {
      if (opts.ignore_index >= 0) {
        return refuse(
          'LOSSD_INVALID_OPTION',
          '/ignore_index',
          `cross_entropy: ignore_index is not supported for floating point target (class probabilities of shape ${showShape(target.shape)}); got ${opts.ignore_index}, it must be negative`,
        );
      }
      const layout = classLayout(input.shape);
      const weight = checkClassWeight('cross_entropy', args.weight, layout.C);
      if (weight !== null) return weight;
      return {
        ok: true,
        lossShape: lossShapeOf(layout),
        plan: { mode: 'probs', layout, eps, classes: new Int32Array(0) },
      };
    }
    const resolved = checkClassIndex('cross_entropy', args, opts.ignore_index, true);
    if ('ok' in resolved) return resolved;
    const reason = 'cross_entropy is not differentiable with respect to "%s" with class-index targets';
    return {
      ok: true,
      lossShape: lossShapeOf(resolved.layout),
      notDifferentiable: { target: reason.replace('%s', 'target'), weight: reason.replace('%s', 'weight') },
      plan: { mode: 'index', layout: resolved.layout, eps, classes: resolved.classes },
    };
  },
  compute: (args, opts, plan, grad, alloc) =>
    plan.mode === 'index' ? computeIndex(args, opts, plan, grad, alloc) : computeProbs(args, opts, plan, grad, alloc),
});
