// mse_loss (mean squared error), torch.nn.functional.mse_loss. LOSSES.md §4 "mse_loss".
//
//   d = x - y        L = d²
//   dL/dx = 2d       dL/dy = -2d

import { z } from 'zod';
import { reductionOption } from '../registry/options.js';
import { definePairLoss, type PairLoop } from './pointwise.js';

const options = z.object({ reduction: reductionOption() });

const loop: PairLoop<unknown> = (x, y, n, G, gamma, out, gx, gy) => {
  let sum = 0;
  if (gamma === null && out === null && gy === null && gx !== null) {
    // the common request (a reduced loss, the input's gradient): nothing else in the loop
    for (let i = 0; i < n; i++) {
      const d = x[i]! - y[i]!;
      sum += d * d;
      gx[i] = 2 * d * G;
    }
    return sum;
  }
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    const l = d * d;
    sum += l;
    if (out !== null) out[i] = l;
    const g = 2 * d * (gamma === null ? G : gamma[i]!);
    if (gx !== null) gx[i] = g;
    if (gy !== null) gy[i] = -g;
  }
  return sum;
};

export const mseLoss = definePairLoss(options, loop, {
  name: 'mse_loss',
  aliases: ['mse', 'l2'],
  summary: 'Mean squared error.',
  formula: 'L = (x - y)^2',
  latex: '\\ell = (x - y)^2',
  reference: 'torch.nn.functional.mse_loss (PyTorch 1.13)',
});
