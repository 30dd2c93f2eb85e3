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
import { type ClassLayout, classLayout, sameShape, showShape } from '../numeric/shape.js';
import { logSoftmaxStrided } from '../numeric/stable.js';
import { integerOption, reductionOption } from '../registry/options.js';
import {
  type Alloc,
  type Args,
  defineLoss,
  type FloatArray,
  type FloatTensor,
  type GradRequest,
  type KernelResult,
  type Reduction,
} from '../registry/types.js';
import { predictionArg, weightArg } from './args.js';
import { checkClassIndex, checkClassWeight, refuse } from './nll-loss.js';

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

/** lp for every element of the input, one log-softmax per position. */
function logSoftmaxAll(x: FloatArray, layout: ClassLayout): Float64Array {
  const { N, C, inner } = layout;
  const lp = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < inner; j++) logSoftmaxStrided(x, lp, n * C * inner + j, inner, C);
  }
  return lp;
}

/** The log-softmax backward of one position: grad[k] = a[c] - exp(lp[k]) · Σ a. */
function softmaxBackward(
  a: Float64Array,
  lp: Float64Array,
  gi: FloatArray,
  base: number,
  inner: number,
  C: number,
): void {
  let sa = 0;
  for (let c = 0; c < C; c++) sa += a[c] as number;
  for (let c = 0, k = base; c < C; c++, k += inner) gi[k] = (a[c] as number) - Math.exp(lp[k] as number) * sa;
}

function computeIndex(args: Args, opts: Options, plan: Plan, grad: GradRequest, alloc: Alloc): KernelResult {
  const x = (args.input as FloatTensor).data;
  const w = (args.weight as FloatTensor | undefined)?.data ?? null;
  const { layout, eps, classes: cls } = plan;
  const { N, C, inner } = layout;
  const M = cls.length;
  const smooth = eps > 0;
  const epsC = eps / C;
  const keep = 1 - eps;
  const reduction: Reduction = opts.reduction;
  const lp = logSoftmaxAll(x, layout);

  const out = reduction === 'none' ? alloc(M) : null;
  let sumL = 0;
  let sumS = 0;
  let W = 0;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < inner; j++) {
      const p = n * inner + j;
      const base = n * C * inner + j;
      const y = cls[p] as number;
      let l = 0;
      let s = 0;
      if (y >= 0) {
        const wy = w === null ? 1 : (w[y] as number);
        l = -(lp[base + y * inner] as number) * wy;
        W += wy;
        if (smooth) {
          let t = 0;
          if (w === null) for (let c = 0, k = base; c < C; c++, k += inner) t += lp[k] as number;
          else for (let c = 0, k = base; c < C; c++, k += inner) t += (lp[k] as number) * (w[c] as number);
          s = -t;
        }
      }
      sumL += l;
      sumS += s;
      if (out !== null) out[p] = smooth ? keep * l + s * epsC : l;
    }
  }
  let loss: number | FloatArray;
  if (out !== null) loss = out;
  else if (reduction === 'sum') loss = smooth ? keep * sumL + sumS * epsC : sumL;
  else loss = smooth ? keep * (sumL / W) + (sumS / W) * epsC : sumL / W;

  const grads: Record<string, FloatArray> = {};
  if (grad.wrt.includes('input')) {
    const gi = alloc(x.length);
    const a = new Float64Array(C);
    const gamma = grad.gamma;
    // Upstream factors of a reduced loss, as autograd forms them: the nll term receives
    // -(g (1 - ε) / W) at lp[y] (times w[y]), the smoothing term -(g (ε / C) / W) at every lp[c]
    // (times w[c]); a sum drops the division by W.
    const gn = smooth ? grad.g * keep : grad.g;
    const gs = grad.g * epsC;
    const nllR = -(reduction === 'mean' ? gn / W : gn);
    const smR = -(reduction === 'mean' ? gs / W : gs);
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < inner; j++) {
        const p = n * inner + j;
        const base = n * C * inner + j;
        const y = cls[p] as number;
        a.fill(0);
        if (y >= 0) {
          let nllG = nllR;
          let smG = smR;
          if (reduction === 'none') {
            const G = gamma === null ? 1 : (gamma[p] as number);
            nllG = -(smooth ? G * keep : G);
            smG = -(G * epsC);
          }
          if (smooth) {
            if (w === null) a.fill(smG);
            else for (let c = 0; c < C; c++) a[c] = smG * (w[c] as number);
          }
          a[y] = (a[y] as number) + (w === null ? nllG : (w[y] as number) * nllG);
        }
        softmaxBackward(a, lp, gi, base, inner, C);
      }
    }
    grads.input = gi;
  }
  return { loss, grads };
}

function computeProbs(args: Args, opts: Options, plan: Plan, grad: GradRequest, alloc: Alloc): KernelResult {
  const input = args.input as FloatTensor;
  const x = input.data;
  const P = (args.target as FloatTensor).data;
  const w = (args.weight as FloatTensor | undefined)?.data ?? null;
  const { layout, eps } = plan;
  const { N, C, inner } = layout;
  const M = N * inner;
  const smooth = eps > 0;
  const epsC = eps / C;
  const keep = 1 - eps;
  const reduction: Reduction = opts.reduction;
  const lp = logSoftmaxAll(x, layout);

  const out = reduction === 'none' ? alloc(M) : null;
  let total = 0;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < inner; j++) {
      const base = n * C * inner + j;
      let t = 0;
      for (let c = 0, k = base; c < C; c++, k += inner) {
        const pk = P[k] as number;
        const pp = smooth ? pk * keep + epsC : pk;
        t += w === null ? (lp[k] as number) * pp : (lp[k] as number) * pp * (w[c] as number);
      }
      total += t;
      if (out !== null) out[n * inner + j] = -t;
    }
  }
  let loss: number | FloatArray;
  if (out !== null) loss = out;
  else if (reduction === 'sum') loss = -total;
  else loss = x.length === 0 ? Number.NaN : -total / M;

  const wantInput = grad.wrt.includes('input');
  const wantTarget = grad.wrt.includes('target');
  const wantWeight = grad.wrt.includes('weight');
  const grads: Record<string, FloatArray> = {};
  if (wantInput || wantTarget || wantWeight) {
    const gi = wantInput ? alloc(x.length) : null;
    const gt = wantTarget ? alloc(x.length) : null;
    const accW = wantWeight ? new Float64Array(C) : null;
    const a = new Float64Array(C);
    const gamma = grad.gamma;
    // ∂loss/∂(lp · P' · w) for one position: -Γ_i, -g, or -(g / M).
    const reducedG = -(reduction === 'mean' ? grad.g / M : grad.g);
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < inner; j++) {
        const p = n * inner + j;
        const base = n * C * inner + j;
        const G = reduction === 'none' ? -(gamma === null ? 1 : (gamma[p] as number)) : reducedG;
        for (let c = 0, k = base; c < C; c++, k += inner) {
          const pk = P[k] as number;
          const pp = smooth ? pk * keep + epsC : pk;
          const l = lp[k] as number;
          const gw = w === null ? G : G * (w[c] as number);
          a[c] = gw * pp;
          if (gt !== null) gt[k] = smooth ? gw * l * keep : gw * l;
          if (accW !== null) accW[c] = (accW[c] as number) + G * (l * pp);
        }
        if (gi !== null) softmaxBackward(a, lp, gi, base, inner, C);
      }
    }
    if (gi !== null) grads.input = gi;
    if (gt !== null) grads.target = gt;
    if (accW !== null) {
      const gw = alloc(C);
      gw.set(accW);
      grads.weight = gw;
    }
  }
  return { loss, grads };
}

export const crossEntropy = defineLoss<typeof options.shape, Plan>({
  name: 'cross_entropy',
  aliases: [],
  summary: 'Softmax cross entropy against class indices or class probabilities.',
  formula:
    'L_i = -w[y_i] log softmax(x_i)[y_i] (class indices); L_i = -sum_c w[c] P_i[c] log softmax(x_i)[c] (probabilities); label smoothing mixes in eps/C',
  latex:
    '\\ell_i = -w_{y_i} \\log \\operatorname{softmax}(x_i)_{y_i} \\quad\\text{or}\\quad \\ell_i = -\\sum_c w_c\\, P_{i,c} \\log \\operatorname{softmax}(x_i)_c',
  reference: 'torch.nn.functional.cross_entropy (PyTorch 1.13)',
  args: [
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
  ],
  options,
  check: (args, opts) => {
    const input = args.input as FloatTensor;
    const target = args.target as FloatTensor;
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
      const weight = checkClassWeight('cross_entropy', args.weight as FloatTensor | undefined, layout.C);
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
