// lovasz_softmax_loss, the Lovász-Softmax loss of Berman, Rannen Triki & Blaschko 2018
// (arXiv:1705.08790) as bermanmaxim/LovaszSoftmax's lovasz_softmax(probas, labels, classes,
// per_image, ignore): a surrogate of the multi-class mean Jaccard (IoU) loss on probabilities.
//
// Per image (or the whole batch as one image), after dropping the pixels labelled `ignore`, for
// each class c counted ("all": every class; "present": those with a pixel; a list: those, in
// order, repeats counted):
//   fg = [label = c]     e = |fg - p_c|     L_c = Σ_r e_(r) w_r
// with e sorted decreasingly and w the Jaccard weights of the sorted fg (./lovasz.ts); the
// image's loss is the mean of L_c over the classes counted (0 when none is). The weights are
// constants, so ∂L/∂p_c = -sign(fg - p_c) w_rank / (classes counted), 0 at e = 0 (torch's abs
// backward).
//
// Nothing is applied to probas (smp's LovaszLoss applies a softmax first; this does not). A
// rank-3 probas (B, H, W) is one sigmoid channel, as in the reference, whose only class must be
// named: classes = [0] or [1] (the reference raises "Sigmoid output possible only with 1 class"
// otherwise). Where the reference is broken or silent: an image without pixels has loss 0 and
// zero gradient (the reference returns an empty tensor), and lossd computes in the request's
// dtype (the reference's weights are float32 and fail on float64 inputs).

import { z } from 'zod';
import { numel, showShape } from '../numeric/shape.js';
import type { FloatArray } from '../numeric/tensor.js';
import { booleanOption, ignoreLabelOption, reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { indexArg, predictionArg } from './args.js';
import { refuse } from './check.js';
import { elementPath } from './element-path.js';
import { lovaszLoss, lovaszScratch, lovaszSorted } from './lovasz.js';

const options = z.object({
  classes: z
    .union([z.enum(['present', 'all']), z.array(z.number())])
    .default('present')
    .describe(
      'The classes averaged over: "present" (those with at least one pixel), "all", or a list of class indices (repeats counted).',
    ),
  per_image: booleanOption(false, 'One loss per image (averaged by "mean"); false: the batch is one image.'),
  ignore: ignoreLabelOption(),
  reduction: reductionOption(),
});

interface Plan {
  readonly B: number;
  /** Channels (1 for sigmoid output). */
  readonly C: number;
  /** Pixels per image. */
  readonly S: number;
  /** The listed classes, or null for "present"/"all". */
  readonly list: readonly number[] | null;
}

const SIGMOID_RULE = 'Sigmoid output possible only with 1 class';

export const lovaszSoftmaxLoss = defineLoss({
  name: 'lovasz_softmax_loss',
  aliases: [],
  summary: 'Lovász-Softmax: a surrogate of the multi-class mean Jaccard (IoU) loss on class probabilities.',
  formula:
    'L = mean over classes c of sum_r e_(r) w_r, e = |[label = c] - p_c| sorted decreasingly, w_r = J_r - J_(r-1), J_r = 1 - (sum g - cumsum(g)_r) / (sum g + cumsum(1 - g)_r)',
  latex:
    '\\ell = \\frac{1}{|K|} \\sum_{c \\in K} \\sum_r e^c_{(r)}\\, w^c_r,\\quad e^c = |[y = c] - p_c|,\\quad w_r = J_r - J_{r-1}',
  reference: 'lovasz_softmax of Berman et al. 2018, arXiv:1705.08790 (bermanmaxim/LovaszSoftmax)',
  args: [
    predictionArg('probas', 'Class probabilities (B, C, d1, ...), or (B, H, W) for one sigmoid channel.'),
    indexArg('labels', 'Class indices (B, d1, ...) in [0, C) ({0, 1} for one channel), or the ignore value.'),
  ],
  example: {
    probas: [[[[0.8, 0.1]], [[0.2, 0.9]]]],
    labels: [[[0, 1]]],
    classes: 'all',
  },
  options,
  check: (args, opts): CheckResult<Plan> => {
    const p = args.probas;
    const y = args.labels;
    const rank = p.shape.length;
    const sigmoid = rank === 3;
    const C = sigmoid ? 1 : rank > 3 ? p.shape[1]! : 0;
    if (rank < 3 || C === 0) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/probas',
        `probas must be (B, C, d1, ...) or (B, H, W), got ${showShape(p.shape)}`,
      );
    }
    const want = sigmoid ? p.shape : [p.shape[0]!, ...p.shape.slice(2)];
    if (y.shape.length !== want.length || y.shape.some((d, i) => d !== want[i])) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/labels',
        `labels must have shape ${showShape(want)} (probas without its class dim), got ${showShape(y.shape)}`,
      );
    }
    const classes = opts.classes;
    const list = typeof classes === 'string' ? null : classes;
    if (C === 1 && list === null) {
      return refuse(
        'LOSSD_INVALID_OPTION',
        '/classes',
        `one channel (sigmoid output) needs classes = [one class index], as in the reference: '${SIGMOID_RULE}'`,
      );
    }
    if (C === 1 && list !== null && list.length > 1) return refuse('LOSSD_INVALID_OPTION', '/classes', SIGMOID_RULE);
    const range = C === 1 ? 2 : C;
    if (list !== null) {
      for (const [k, c] of list.entries()) {
        if (!Number.isInteger(c)) {
          return refuse('LOSSD_INVALID_OPTION', `/classes/${k}`, `classes holds class indices (integers); got ${c}`);
        }
        if (c < 0 || c >= range) {
          return refuse('LOSSD_INVALID_OPTION', `/classes/${k}`, `class index out of range [0, ${range})`);
        }
      }
    }
    for (let i = 0; i < y.data.length; i++) {
      const v = y.data[i]!;
      if ((v < 0 || v >= range) && v !== opts.ignore) {
        return refuse(
          'LOSSD_INVALID_VALUE',
          elementPath('labels', y.shape, i),
          `labels must be class indices in [0, ${range}) (or the ignore value)`,
        );
      }
    }
    const B = p.shape[0]!;
    const S = numel(want.slice(1));
    const lossShape = opts.reduction === 'none' && opts.per_image ? [B] : [];
    return { ok: true, lossShape, plan: { B, C, S, list } };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const ps = args.probas.data;
    const ys = args.labels.data;
    const { B, C, S, list } = plan;
    const ignore = opts.ignore;
    const sets = opts.per_image ? B : 1;
    const span = opts.per_image ? S : B * S;
    const scratch = lovaszScratch(span, alloc(span));
    const { errors, truth, weights } = scratch;
    const order = scratch.sort.order;
    // the flat index of each kept pixel's class 0 in probas, and its label
    const pixel = new Int32Array(span);
    const label = new Int32Array(span);
    const count = new Int32Array(C === 1 ? 2 : C);
    const none = opts.reduction === 'none';
    const out = none && opts.per_image ? alloc(B) : null;
    const gp = grad.wrt.includes('probas') ? alloc(ps.length) : null;
    const G = opts.per_image && opts.reduction === 'mean' ? grad.g / B : grad.g;
    let sum = 0;
    for (let t = 0; t < sets; t++) {
      let n = 0;
      count.fill(0);
      for (let q = t * span; q < t * span + span; q++) {
        const v = ys[q]!;
        if (v === ignore) continue;
        const b = Math.floor(q / S);
        pixel[n] = b * C * S + (q - b * S);
        label[n] = v;
        count[v] = count[v]! + 1;
        n++;
      }
      let counted: number[] = [];
      if (n > 0) {
        if (list !== null) counted = [...list];
        else for (let c = 0; c < C; c++) if (opts.classes === 'all' || count[c]! > 0) counted.push(c);
      }
      const Gt = none && grad.gamma !== null ? grad.gamma[t]! : G;
      let l = 0;
      for (const c of counted) {
        // one channel: the listed class's probability is channel 0
        const offset = C === 1 ? 0 : c * S;
        for (let k = 0; k < n; k++) {
          const fg = label[k] === c ? 1 : 0;
          truth[k] = fg;
          errors[k] = Math.abs(fg - ps[pixel[k]! + offset]!);
        }
        l += lovaszSorted(scratch, n, false);
        if (gp === null) continue;
        const share = Gt / counted.length;
        for (let r = 0; r < n; r++) {
          const k = order[r]!;
          const at = pixel[k]! + offset;
          const d = truth[k]! - ps[at]!;
          const sign = d > 0 ? 1 : d < 0 ? -1 : d;
          gp[at] = gp[at]! + share * weights[r]! * -sign;
        }
      }
      if (counted.length > 0) l /= counted.length;
      sum += l;
      if (out !== null) out[t] = l;
    }
    const grads: Record<string, FloatArray> = {};
    if (gp !== null) grads.probas = gp;
    return { loss: lovaszLoss(sum, out, B, opts.per_image, opts.reduction, alloc), grads };
  },
});
