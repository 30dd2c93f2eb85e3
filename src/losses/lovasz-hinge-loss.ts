// lovasz_hinge_loss, the Lovász hinge of Berman, Rannen Triki & Blaschko 2018
// (arXiv:1705.08790) as bermanmaxim/LovaszSoftmax's lovasz_hinge(logits, labels, per_image,
// ignore): a convex surrogate of the binary Jaccard (IoU) loss, optimising IoU directly.
//
// Per image (logits[b] flattened; or the whole batch as one image with per_image false), after
// dropping the pixels labelled `ignore`:
//   s = 2 label - 1     e = 1 - logit s     L = Σ_r relu(e_(r)) w_r
// with e sorted decreasingly and w the Jaccard weights of the sorted labels (./lovasz.ts).
// The weights are constants (they depend only on the labels), so ∂L/∂logit = -s w_rank where
// e > 0, and 0 where e <= 0 (relu's backward; a NaN error passes, as torch's does). An image
// without pixels has loss 0 and still counts in the mean over images, which is Berman's
// mean(): 0 for no images. The reference computes in float32; lossd in the request's dtype.

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
  per_image: booleanOption(true, 'One loss per image logits[b] (averaged by "mean"); false: the batch is one image.'),
  ignore: ignoreLabelOption(),
  reduction: reductionOption(),
});

interface Plan {
  /** Images. */
  readonly B: number;
  /** Pixels per image. */
  readonly S: number;
}

export const lovaszHingeLoss = defineLoss({
  name: 'lovasz_hinge_loss',
  aliases: [],
  summary: 'Lovász hinge: a convex surrogate of the binary Jaccard (IoU) loss on logits, per image.',
  formula:
    'L = sum_r relu(e_(r)) w_r, e = 1 - logit (2 label - 1) sorted decreasingly, w_r = J_r - J_(r-1), J_r = 1 - (sum g - cumsum(g)_r) / (sum g + cumsum(1 - g)_r)',
  latex:
    '\\ell = \\sum_r \\max(e_{(r)}, 0)\\, w_r,\\quad e = 1 - z\\,(2y - 1),\\quad w_r = J_r - J_{r-1},\\quad J_r = 1 - \\frac{\\sum g - \\sum_{k \\le r} g_k}{\\sum g + \\sum_{k \\le r} (1 - g_k)}',
  reference: 'lovasz_hinge of Berman et al. 2018, arXiv:1705.08790 (bermanmaxim/LovaszSoftmax)',
  args: [
    predictionArg('logits', 'Logits (B, ...), rank >= 1: logits[b] is one image, flattened.'),
    indexArg('labels', 'Binary labels 0/1 (or the ignore value), the shape of logits.'),
  ],
  example: {
    logits: [
      [2.5, -1.3, 0.3, -0.4],
      [1.2, 0.2, -2, 0.7],
    ],
    labels: [
      [1, 0, 1, 0],
      [1, 1, 0, 0],
    ],
  },
  options,
  check: (args, opts): CheckResult<Plan> => {
    const x = args.logits;
    const y = args.labels;
    if (x.shape.length === 0)
      return refuse('LOSSD_SHAPE_MISMATCH', '/logits', 'logits must be (B, ...) with at least one dim');
    if (y.shape.length !== x.shape.length || y.shape.some((d, i) => d !== x.shape[i])) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/labels',
        `labels has shape ${showShape(y.shape)}, logits ${showShape(x.shape)}: they must be equal`,
      );
    }
    const ignore = opts.ignore;
    for (let i = 0; i < y.data.length; i++) {
      const v = y.data[i]!;
      if (v !== 0 && v !== 1 && v !== ignore) {
        return refuse(
          'LOSSD_INVALID_VALUE',
          elementPath('labels', y.shape, i),
          'labels must be 0 or 1 (or the ignore value)',
        );
      }
    }
    const B = x.shape[0]!;
    const S = numel(x.shape.slice(1));
    const lossShape = opts.reduction === 'none' && opts.per_image ? [B] : [];
    return { ok: true, lossShape, plan: { B, S } };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const xs = args.logits.data;
    const ys = args.labels.data;
    const { B, S } = plan;
    const ignore = opts.ignore;
    const sets = opts.per_image ? B : 1;
    const span = opts.per_image ? S : B * S;
    // errors in the request's dtype, so that float32 ties are float32's
    const scratch = lovaszScratch(span, alloc(span));
    const { errors, truth, weights } = scratch;
    const order = scratch.sort.order;
    const pixel = new Int32Array(span);
    const none = opts.reduction === 'none';
    const out = none && opts.per_image ? alloc(B) : null;
    const gx = grad.wrt.includes('logits') ? alloc(xs.length) : null;
    // the mean over images divides by B (Berman's mean(): nothing for no images)
    const G = opts.per_image && opts.reduction === 'mean' ? grad.g / B : grad.g;
    let sum = 0;
    for (let t = 0; t < sets; t++) {
      let n = 0;
      for (let q = t * span; q < t * span + span; q++) {
        const label = ys[q]!;
        if (label === ignore) continue;
        pixel[n] = q;
        errors[n] = 1 - xs[q]! * (2 * label - 1);
        truth[n] = label;
        n++;
      }
      const l = n === 0 ? 0 : lovaszSorted(scratch, n, true);
      sum += l;
      if (out !== null) out[t] = l;
      if (gx === null) continue;
      const Gt = none && grad.gamma !== null ? grad.gamma[t]! : G;
      for (let r = 0; r < n; r++) {
        const k = order[r]!;
        const e = errors[k]!;
        if (e <= 0) continue;
        const q = pixel[k]!;
        gx[q] = Gt * weights[r]! * -(2 * ys[q]! - 1);
      }
    }
    const grads: Record<string, FloatArray> = {};
    if (gx !== null) grads.logits = gx;
    return { loss: lovaszLoss(sum, out, B, opts.per_image, opts.reduction, alloc), grads };
  },
});
