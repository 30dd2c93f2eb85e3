// multilabel_margin_loss, torch.nn.functional.multilabel_margin_loss.
// LOSSES.md §6 "multilabel_margin_loss".
//
//   labels = the row's target prefix before the first -1 (iterated with repeats); set = its members
//   ℓ = (1/C) Σ_{j ∈ labels} Σ_{k ∉ set, z > 0} z,     z = 1 - (x[j] - x[k])
//   each counted pair: ∂x[k] += s, ∂x[j] -= s, with s = 1/C (none, sum) or 1/(N C) (mean),
//   and the whole row then multiplied by grad_output.
//
// This mirrors ATen's CPU kernel: the test is strictly z > 0 (NaN scores never count, the kink
// contributes nothing), and grad_output multiplies the finished row, so a non-finite
// grad_output makes the untouched entries NaN as in PyTorch. Every target element, including
// those after the terminating -1, must lie in [-1, C). Contract note (LOSSES.md §9): an empty
// batch reduces to NaN (mean) or 0 (sum).

import { z } from 'zod';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { indexArg, predictionArg } from './args.js';
import { refuse } from './check.js';

const OP = 'multilabel_margin_loss';

const options = z.object({ reduction: reductionOption() });

interface Plan {
  readonly nframe: number;
  readonly C: number;
}

/**
 * Marks row `row`'s label set in `isTarget` (size C, cleared here) and returns the length of its
 * label list: the number of entries before the first negative one.
 */
function labelSet(target: Int32Array, row: number, C: number, isTarget: Uint8Array): number {
  isTarget.fill(0);
  let len = 0;
  while (len < C) {
    const label = target[row + len]!;
    if (label < 0) break;
    isTarget[label] = 1;
    len++;
  }
  return len;
}

export const multilabelMarginLoss = defineLoss({
  name: OP,
  aliases: [],
  summary: 'Multi-label hinge loss.',
  formula: 'L = (1/C) sum_{j in labels} sum_{k not in labels} max(0, 1 - (x[j] - x[k]))',
  latex: '\\ell = \\frac{1}{C}\\sum_{j \\in \\mathcal{Y}} \\sum_{k \\notin \\mathcal{Y}} \\max(0, 1 - (x_j - x_k))',
  reference: 'torch.nn.functional.multilabel_margin_loss (PyTorch 1.13)',
  args: [
    predictionArg('input', 'Scores: () (one class), (C) or (N, C) with C >= 1.'),
    indexArg(
      'target',
      "Label indices, input's shape ((C) for unbatched input), each row a list of classes ended by -1.",
    ),
  ],
  options,
  example: {
    input: [[0.1, 0.2, 0.4, 0.8]],
    target: [[3, 0, -1, 1]],
  },
  check: (args, opts): CheckResult<Plan> => {
    const input = args.input;
    const target = args.target;
    const r = input.shape.length;
    const shown = `input shape ${JSON.stringify(input.shape)}`;
    if (!(r === 0 || (r === 1 && input.shape[0] !== 0) || (r === 2 && input.shape[1] !== 0))) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/input',
        `${OP}: expected non-empty vector or matrix with optional 0-dim batch size, got ${shown}`,
      );
    }
    const nframe = r === 2 ? input.shape[0]! : 1;
    const C = r === 0 ? 1 : input.shape[r - 1]!;
    const ts = target.shape;
    const fits =
      r === 2 ? ts.length === 2 && ts[0] === nframe && ts[1] === C : ts.length <= 1 && target.data.length === C;
    if (!fits) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/target',
        `${OP}: inconsistent target shape ${JSON.stringify(ts)} for ${shown} (expected ${r === 2 ? `[${nframe}, ${C}]` : `${C} labels`})`,
      );
    }
    if (input.data.length > 0) {
      for (let i = 0; i < target.data.length; i++) {
        const label = target.data[i]!;
        if (label < -1 || label >= C) {
          const path =
            ts.length === 0 ? '/target' : ts.length === 1 ? `/target/${i}` : `/target/${Math.floor(i / C)}/${i % C}`;
          return refuse(
            'LOSSD_INVALID_VALUE',
            path,
            `${OP}: target label ${label} out of range [-1, ${C}) for ${shown}`,
          );
        }
      }
    }
    return {
      ok: true,
      lossShape: opts.reduction === 'none' && r === 2 ? [nframe] : [],
      plan: { nframe, C },
    };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const x = args.input.data;
    const target = args.target.data;
    const { nframe, C } = plan;
    const none = opts.reduction === 'none';
    const out = none ? alloc(nframe) : null;
    const isTarget = new Uint8Array(C);

    let total = 0;
    for (let i = 0; i < nframe; i++) {
      const row = i * C;
      const len = labelSet(target, row, C, isTarget);
      let sum = 0;
      for (let a = 0; a < len; a++) {
        const xj = x[row + target[row + a]!]!;
        for (let k = 0; k < C; k++) {
          if (isTarget[k] === 1) continue;
          const zk = 1 - xj + x[row + k]!;
          if (zk > 0) sum += zk;
        }
      }
      total += sum;
      if (out !== null) out[i] = sum / C;
    }

    const grads: Record<string, FloatArray> = {};
    if (grad.wrt.includes('input')) {
      const gx = alloc(nframe * C);
      const acc = new Float64Array(C);
      const s = opts.reduction === 'mean' ? 1 / (nframe * C) : 1 / C;
      for (let i = 0; i < nframe; i++) {
        const row = i * C;
        const len = labelSet(target, row, C, isTarget);
        acc.fill(0);
        for (let a = 0; a < len; a++) {
          const j = target[row + a]!;
          const xj = x[row + j]!;
          for (let k = 0; k < C; k++) {
            if (isTarget[k] === 1) continue;
            const zk = 1 - xj + x[row + k]!;
            if (zk > 0) {
              acc[j] = acc[j]! - s;
              acc[k] = acc[k]! + s;
            }
          }
        }
        const Gi = none && grad.gamma !== null ? grad.gamma[i]! : grad.g;
        for (let k = 0; k < C; k++) gx[row + k] = acc[k]! * Gi;
      }
      grads.input = gx;
    }
    let loss: number | FloatArray;
    if (out !== null) loss = out;
    else loss = opts.reduction === 'sum' ? total / C : total / C / nframe;
    return { loss, grads };
  },
});
