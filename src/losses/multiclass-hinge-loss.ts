// multiclass_hinge_loss, optax.losses.multiclass_hinge_loss: the Crammer–Singer multiclass
// hinge (not PyTorch's multi_margin_loss, which sums the Weston–Watkins hinges over j != y).
//
//   ℓ = max_j (s_j + 1 - [j = y]) - s·onehot(y)      = max(0, 1 + max_{j != y} s_j - s_y)
//
// optax's arithmetic is kept: the margin is added as (s_j + 1) - onehot_j, and s_y is a dot
// product with the one-hot row, so any infinite score in the row makes the loss NaN (±inf·0)
// while the gradient stays finite.
//
// Backward, as jnp.max (and torch.amax) differentiate: the upstream gradient is shared equally
// by the tied maxima, and the dot product sends -1 to the label:
//   ∂ℓ/∂s_j = [j is a maximum] / #maxima - [j = y]
// A NaN in the row makes the maximum NaN, which no entry equals: every entry of that row's
// gradient is then NaN (0 / 0), as autograd gives.

import { z } from 'zod';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { defineLoss } from '../registry/types.js';
import { checkScoreRows, computeScoreRows, scoreRowArgs, scoreRowExample } from './score-rows.js';

const OP = 'multiclass_hinge_loss';

const options = z.object({ reduction: reductionOption() });

function hingeRow(s: FloatArray, o: number, C: number, y: number, gs: FloatArray | null, Gi: number): number {
  // the maximum of s_j + 1 - [j = y], how many entries reach it, and s·onehot(y)
  let m = Number.NEGATIVE_INFINITY;
  let ties = 0;
  let nan = false;
  let dot = 0;
  for (let j = 0; j < C; j++) {
    const sj = s[o + j]!;
    const hot = j === y ? 1 : 0;
    const v = sj + 1 - hot;
    if (v > m) {
      m = v;
      ties = 1;
    } else if (v === m) ties++;
    else if (Number.isNaN(v)) nan = true;
    dot += sj * hot;
  }
  if (nan) {
    m = Number.NaN;
    ties = 0;
  }
  if (gs !== null) {
    const share = Gi / ties;
    for (let j = 0; j < C; j++) {
      const hot = j === y ? 1 : 0;
      gs[o + j] = share * (s[o + j]! + 1 - hot === m ? 1 : 0) - hot * Gi;
    }
  }
  return m - dot;
}

export const multiclassHingeLoss = defineLoss({
  name: OP,
  aliases: [],
  summary: 'Crammer–Singer multiclass hinge: the label must beat the best other class by a margin of 1.',
  formula: 'L = max_j (s[j] + 1 - [j = y]) - s[y] = max(0, 1 + max_{j != y} s[j] - s[y])',
  latex:
    '\\ell = \\max_j \\bigl(s_j + 1 - [j = y]\\bigr) - s_y = \\max\\bigl(0,\\, 1 + \\max_{j \\ne y} s_j - s_y\\bigr)',
  reference: 'optax.losses.multiclass_hinge_loss (optax 0.2.9; Crammer & Singer 2001)',
  args: scoreRowArgs,
  options,
  example: scoreRowExample,
  check: (args, opts) => checkScoreRows(OP, args, opts.reduction),
  compute: (args, opts, plan, grad, alloc) => computeScoreRows(args, opts.reduction, plan, grad, alloc, hingeRow),
});
