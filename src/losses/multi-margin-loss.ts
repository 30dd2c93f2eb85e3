// multi_margin_loss, torch.nn.functional.multi_margin_loss. LOSSES.md §6 "multi_margin_loss".
//
//   z_j = margin - x[t] + x[j]  (j != t)        ℓ = (1/C) Σ_{j != t, z_j > 0} w[t] z_j^p      p ∈ {1, 2}
//   for each counted j:  h = s (p = 1) or 2 s z_j (p = 2), times w[t];  ∂x[j] = h,  ∂x[t] -= h
//   with s = 1/C (none, sum) or 1/(N C) (mean), and the whole row then multiplied by grad_output.
//
// This mirrors ATen's CPU kernel rather than autograd: the test is strictly z > 0, so a NaN
// score never counts and the kink z = 0 contributes nothing. The local gradient is built first
// and multiplied by grad_output last, so a non-finite grad_output turns the zero entries of its
// row into NaN exactly as PyTorch does. Contract notes (LOSSES.md §9): weight must hold exactly
// C values, and an empty batch reduces to NaN (mean) or 0 (sum) instead of PyTorch's garbage.

import { z } from 'zod';
import type { FloatArray } from '../numeric/tensor.js';
import { numberOption, reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { indexArg, predictionArg, weightArg } from './args.js';
import { refuse } from './check.js';

const OP = 'multi_margin_loss';

const P_MESSAGE = `${OP}: only p == 1 and p == 2 supported`;

const options = z.object({
  reduction: reductionOption(),
  p: z
    .number()
    .min(1, P_MESSAGE)
    .max(2, P_MESSAGE)
    .multipleOf(1, P_MESSAGE)
    .default(1)
    .describe('Exponent of the hinge: 1 or 2.'),
  margin: numberOption(1, 'Margin the target score must exceed every other score by; any real.'),
});

interface Plan {
  /** Number of samples and classes. */
  readonly nframe: number;
  readonly C: number;
}

/** The shape rule shared with multilabel_margin_loss (ATen's multi*_margin shape check). */
function inputLayoutError(shape: readonly number[]): string | null {
  const r = shape.length;
  if (r === 0 || (r === 1 && shape[0] !== 0) || (r === 2 && shape[1] !== 0)) return null;
  return `${OP}: expected non-empty vector or matrix with optional 0-dim batch size, got input shape ${JSON.stringify(shape)}`;
}

export const multiMarginLoss = defineLoss({
  name: OP,
  aliases: [],
  summary: 'Multi-class hinge loss.',
  formula: 'L = (1/C) sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p',
  latex: '\\ell = \\frac{1}{C}\\sum_{j \\ne y} w_y \\max(0, \\text{margin} - x_y + x_j)^p',
  reference: 'torch.nn.functional.multi_margin_loss (PyTorch 1.13)',
  args: [
    predictionArg('input', 'Scores: () (one class), (C) or (N, C) with C >= 1.'),
    indexArg('target', 'Class index of each sample in [0, C): () or (N) (N = 1 for unbatched input).'),
    weightArg('Per-class weights, 1-D with exactly C values (not differentiable).'),
  ],
  options,
  example: {
    input: [
      [0.1, 0.2, 0.4],
      [0.8, -0.3, 0.5],
    ],
    target: [2, 0],
  },
  check: (args, opts): CheckResult<Plan> => {
    const input = args.input;
    const target = args.target;
    const weight = args.weight;
    if (weight !== undefined && weight.shape.length !== 1) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/weight',
        `${OP}: weight must be one-dimensional, got shape ${JSON.stringify(weight.shape)}`,
      );
    }
    const layout = inputLayoutError(input.shape);
    if (layout !== null) return refuse('LOSSD_SHAPE_MISMATCH', '/input', layout);
    const r = input.shape.length;
    const nframe = r === 2 ? input.shape[0]! : 1;
    const C = r === 0 ? 1 : input.shape[r - 1]!;
    if (target.shape.length > 1 || target.data.length !== nframe) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/target',
        `${OP}: inconsistent target size ${JSON.stringify(target.shape)} for input of shape ${JSON.stringify(input.shape)} (expected ${nframe} class indices)`,
      );
    }
    if (weight !== undefined && weight.data.length !== C) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/weight',
        `${OP}: weight has ${weight.data.length} values, input shape ${JSON.stringify(input.shape)} has C = ${C} classes`,
      );
    }
    for (let i = 0; i < nframe; i++) {
      const t = target.data[i]!;
      if (t < 0 || t >= C) {
        const path = target.shape.length === 0 ? '/target' : `/target/${i}`;
        return refuse(
          'LOSSD_INVALID_VALUE',
          path,
          `${OP}: target ${t} out of range [0, ${C}) for input of shape ${JSON.stringify(input.shape)}`,
        );
      }
    }
    const none = opts.reduction === 'none';
    return { ok: true, lossShape: none && target.shape.length === 1 ? [nframe] : [], plan: { nframe, C } };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const x = args.input.data;
    const target = args.target.data;
    const weight = args.weight;
    const w = weight === undefined ? null : weight.data;
    const { nframe, C } = plan;
    const { p, margin } = opts;
    const none = opts.reduction === 'none';
    const out = none ? alloc(nframe) : null;

    let total = 0;
    for (let i = 0; i < nframe; i++) {
      const row = i * C;
      const t = target[i]!;
      const xt = x[row + t]!;
      const wt = w === null ? 1 : w[t]!;
      let sum = 0;
      for (let j = 0; j < C; j++) {
        if (j === t) continue;
        const zj = margin - xt + x[row + j]!;
        if (zj > 0) sum += (p === 1 ? zj : zj * zj) * wt;
      }
      const l = sum / C;
      total += l;
      if (out !== null) out[i] = l;
    }

    const grads: Record<string, FloatArray> = {};
    if (grad.wrt.includes('input')) {
      const gx = alloc(nframe * C);
      const s = opts.reduction === 'mean' ? 1 / (nframe * C) : 1 / C;
      for (let i = 0; i < nframe; i++) {
        const row = i * C;
        const t = target[i]!;
        const xt = x[row + t]!;
        const wt = w === null ? 1 : w[t]!;
        const Gi = none && grad.gamma !== null ? grad.gamma[i]! : grad.g;
        let gt = 0;
        for (let j = 0; j < C; j++) {
          if (j === t) continue;
          const zj = margin - xt + x[row + j]!;
          if (zj > 0) {
            const h = (p === 1 ? s : 2 * s * zj) * wt;
            gt -= h;
            gx[row + j] = h * Gi;
          } else {
            gx[row + j] = 0 * Gi;
          }
        }
        gx[row + t] = gt * Gi;
      }
      grads.input = gx;
    }
    const loss = out ?? (opts.reduction === 'sum' ? total : total / nframe);
    return { loss, grads };
  },
});
