// l1_loss (mean absolute error), torch.nn.functional.l1_loss. LOSSES.md §4 "l1_loss".
//
//   d = x - y        L = |d|
//   dL/dx = sgn(d)   dL/dy = -sgn(d)
//
// At d = 0 both gradients are 0, and sgn(NaN) = 0 as in PyTorch 1.13, so a NaN difference
// has a NaN loss but a zero gradient.

import { z } from 'zod';
import { reductionOption } from '../registry/options.js';
import { definePairLoss, type PairLoop } from './pointwise.js';

const options = z.object({ reduction: reductionOption() });

// sgn(d) as [d > 0] - [d < 0], without a branch (the sign of real data is a coin flip, and a
// mispredicted branch costs more than the rest of the loop); sgn(NaN) = 0 since comparisons
// with NaN are false. A product, not a branch: 0 · inf and 0 · NaN stay NaN (LOSSES.md 3.5).
const loop: PairLoop<unknown> = (x, y, n, G, gamma, out, gx, gy) => {
  let sum = 0;
  if (gamma === null && out === null && gy === null && gx !== null) {
    for (let i = 0; i < n; i++) {
      const d = x[i]! - y[i]!;
      sum += Math.abs(d);
      gx[i] = (Number(d > 0) - Number(d < 0)) * G;
    }
    return sum;
  }
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    const l = Math.abs(d);
    sum += l;
    if (out !== null) out[i] = l;
    const Gi = gamma === null ? G : gamma[i]!;
    const s = (Number(d > 0) - Number(d < 0)) * Gi;
    if (gx !== null) gx[i] = s;
    if (gy !== null) gy[i] = -s;
  }
  return sum;
};

export const l1Loss = definePairLoss(options, loop, {
  name: 'l1_loss',
  aliases: ['mae', 'l1'],
  summary: 'Mean absolute error.',
  formula: 'L = |x - y|',
  latex: '\\ell = \\lvert x - y \\rvert',
  reference: 'torch.nn.functional.l1_loss (PyTorch 1.13)',
});
