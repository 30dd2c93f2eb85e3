// hinge_embedding_loss, torch.nn.functional.hinge_embedding_loss. LOSSES.md §7
// "hinge_embedding_loss".
//
//   L = [y != 1] · max(margin - x, 0)  +  [y != -1] · x
//
// PyTorch selects each branch with `where(target != 1, ...)` and `where(target != -1, ...)`,
// so a target that is neither 1 nor -1 (0, 2, NaN) takes both branches. The gradient is
// autograd's: the selections and the clamp_min backward pick the incoming gradient or 0, the
// clamp passing it at margin - x = 0 (gradient -1 there) and dropping it for a NaN x:
//   dL/dx = (y != -1 ? G : 0) - (margin - x >= 0 && y != 1 ? G : 0)
// target only selects branches; PyTorch has no gradient for it.

import { z } from 'zod';
import { numberOption, reductionOption } from '../registry/options.js';
import { defineLoss } from '../registry/types.js';
import { constantArg, PAIR_EXAMPLE, predictionArg } from './args.js';
import { checkNamedPair, type PairLoop, runPair } from './pointwise.js';

const options = z.object({
  reduction: reductionOption(),
  margin: numberOption(1, 'Distance below which dissimilar pairs (target -1) are penalized (any real).'),
});

type Options = z.output<typeof options>;

const loop: PairLoop<Options> = (x, y, n, G, gamma, out, gx, _gy, { margin }) => {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    const mx = margin - xi;
    const clamped = mx < 0 ? 0 : mx; // clamp_min(margin - x, 0) keeps NaN
    const l = (yi !== 1 ? clamped : 0) + (yi !== -1 ? xi : 0);
    sum += l;
    if (out !== null) out[i] = l;
    if (gx !== null) {
      const Gi = gamma === null ? G : gamma[i]!;
      gx[i] = (yi !== -1 ? Gi : 0) + -(mx >= 0 && yi !== 1 ? Gi : 0);
    }
  }
  return sum;
};

const ARGS = [
  predictionArg('input', 'Distances (or any scores), any shape that broadcasts with target.'),
  constantArg('target', 'Labels 1 (similar) or -1 (dissimilar), any shape that broadcasts with input.'),
] as const;

export const hingeEmbeddingLoss = defineLoss({
  name: 'hinge_embedding_loss',
  aliases: [],
  summary: 'Hinge on distances for similar and dissimilar pairs.',
  formula: 'L = x if y = 1; max(0, margin - x) if y = -1; their sum for any other y',
  latex: '\\ell = [y \\ne 1]\\,\\max(0, \\text{margin} - x) + [y \\ne -1]\\,x',
  reference: 'torch.nn.functional.hinge_embedding_loss (PyTorch 1.13)',
  args: ARGS,
  options,
  example: PAIR_EXAMPLE,
  check: (args, opts) => checkNamedPair('hinge_embedding_loss', args, opts.reduction),
  compute: (args, opts, plan, grad, alloc) => runPair(loop, args, opts, plan, grad, alloc),
});
