// nll_loss (negative log likelihood), torch.nn.functional.nll_loss. LOSSES.md §5 "nll_loss".
//
//   ℓ_i = v_i · ( -w[y_i] · x_i[y_i] )       v_i = [y_i != ignore_index]
//   W   = Σ_i v_i · w[y_i]                   mean = Σ ℓ_i / W   (the weights of the counted
//                                             targets, not the number of positions: a weighted
//                                             mean over samples, as PyTorch defines it)
//   ∂/∂x_i[c] = -G_i · w[y_i] · [c = y_i]    G_i = Γ_i, g, or g / W
//
// The loss is a gather: only x_i[y_i] is read, so NaN or -inf elsewhere in a row has no
// effect. PyTorch writes the gradient as w[y] · (-(g / W)), so W = 0 with zero weights gives
// 0 · inf = NaN at each counted (i, y_i) and 0 everywhere else; an all-ignored mean is 0/0 =
// NaN with an all-zero gradient (ignored positions are never written).
//
// The class-index layout rules (src/losses/check.ts) are shared with cross_entropy, which
// PyTorch computes as nll_loss on a log-softmax.

import { z } from 'zod';
import type { FloatArray } from '../numeric/tensor.js';
import { integerOption, reductionOption } from '../registry/options.js';
import { type ArgsOf, defineLoss, type KernelResult } from '../registry/types.js';
import { indexArg, predictionArg, weightArg } from './args.js';
import { type ClassIndexPlan, checkClassIndex } from './check.js';

const options = z.object({
  reduction: reductionOption(),
  ignore_index: integerOption(-100, 'A target value that is ignored: it adds nothing to the loss nor to W.'),
});

type Options = z.output<typeof options>;

const ARGS = [
  predictionArg('input', 'Log-probabilities (any real scores are accepted): (C), (N, C) or (N, C, d1, ..., dk).'),
  indexArg('target', 'Class indices in [0, C) or ignore_index: () for (C), (N) for (N, C), (N, d1, ..., dk).'),
  weightArg('Optional weight of each class, 1-D with C elements (not differentiable).'),
] as const;

/** The decoded arguments, typed from ARGS. */
type LossArgs = ArgsOf<typeof ARGS>;

function compute(
  args: LossArgs,
  opts: Options,
  plan: ClassIndexPlan,
  grad: { wrt: readonly string[]; g: number; gamma: FloatArray | null },
  alloc: (n: number) => FloatArray,
): KernelResult {
  const x = args.input.data;
  const w = args.weight?.data ?? null;
  const { N, C, inner } = plan.layout;
  const cls = plan.classes;
  const M = cls.length;
  const none = opts.reduction === 'none';

  // W depends only on the targets: summed first, so that the gradient (which needs it for a
  // mean) is written in the same pass over the rows as the loss.
  let W = 0;
  for (let p = 0; p < M; p++) {
    const y = cls[p]!;
    if (y >= 0) W += w === null ? 1 : w[y]!;
  }
  const out = none ? alloc(M) : null;
  const wantInput = grad.wrt.includes('input');
  // -(g / W) for a mean, -g for a sum; "none" takes -Γ_i per position.
  const gReduced = -(opts.reduction === 'mean' ? grad.g / W : grad.g);
  const gamma = grad.gamma;
  let sum = 0;
  // zero-filled (a memset), then one element per position is written
  const gi = wantInput ? alloc(x.length) : null;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < inner; j++) {
      const p = n * inner + j;
      const y = cls[p]!;
      let l = 0;
      if (y >= 0) {
        const k = n * C * inner + y * inner + j;
        const wy = w === null ? 1 : w[y]!;
        l = -x[k]! * wy;
        if (gi !== null) {
          const G = none ? -(gamma === null ? 1 : gamma[p]!) : gReduced;
          gi[k] = w === null ? G : wy * G;
        }
      }
      sum += l;
      if (out !== null) out[p] = l;
    }
  }
  const loss = out ?? (opts.reduction === 'sum' ? sum : sum / W);
  return { loss, grads: gi === null ? {} : { input: gi } };
}

export const nllLoss = defineLoss({
  name: 'nll_loss',
  aliases: [],
  summary: 'Negative log likelihood of the target class.',
  formula: 'L_i = -w[y_i] x_i[y_i] (0 where y_i = ignore_index); mean divides by sum of w[y_i] over counted i',
  latex:
    '\\ell_i = -w_{y_i}\\, x_{i, y_i}\\,[y_i \\neq \\text{ignore\\_index}],\\quad \\text{mean} = \\frac{\\sum_i \\ell_i}{\\sum_i w_{y_i} [y_i \\neq \\text{ignore\\_index}]}',
  reference: 'torch.nn.functional.nll_loss (PyTorch 1.13)',
  args: ARGS,
  options,
  example: {
    input: [
      [-0.4, -1.5, -2.2],
      [-1.2, -0.9, -1.3],
    ],
    target: [0, 2],
  },
  check: (args, opts) => {
    const plan = checkClassIndex('nll_loss', args, opts.ignore_index, false);
    if ('ok' in plan) return plan;
    return {
      ok: true,
      lossShape: opts.reduction === 'none' ? plan.layout.positionShape : [],
      plan,
    };
  },
  compute,
});
