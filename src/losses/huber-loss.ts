// huber_loss, torch.nn.functional.huber_loss. LOSSES.md §4 "huber_loss".
//
//   z = |d|,  L = 0.5 z²  if z < δ,  else  δ (z - 0.5 δ)          (= δ · smooth_l1(β = δ))
//   h(u) = -δ if u <= -δ;  +δ else if u >= δ;  u otherwise
//   dL/dx = h(d)      dL/dy = h(-d) = -h(d)   (δ > 0)

import { z } from 'zod';
import { reductionOption } from '../registry/options.js';
import { definePairLoss } from './pointwise.js';
import { quadraticLinearLoop } from './smooth-l1-loss.js';

const options = z.object({
  reduction: reductionOption(),
  delta: z
    .number()
    .gt(0, 'huber_loss does not support non-positive values for delta')
    .default(1)
    .describe('Where the loss turns from quadratic to linear (> 0).'),
});

type Options = z.output<typeof options>;

// δ · smooth_l1 with β = δ, through smooth_l1_loss's own loop with PyTorch's huber operations
// (the note on quadraticLinearLoop says why not literally δ times its result).
const loop = quadraticLinearLoop<Options>(({ delta }) => [delta, 1, delta]);

export const huberLoss = definePairLoss(options, loop, {
  name: 'huber_loss',
  aliases: [],
  summary: 'Quadratic below delta, linear above.',
  formula: 'L = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta), d = x - y',
  latex:
    '\\ell = \\begin{cases} 0.5\\,d^2 & |d| < \\delta \\\\ \\delta\\,(|d| - 0.5\\,\\delta) & \\text{otherwise} \\end{cases},\\quad d = x - y',
  reference: 'torch.nn.functional.huber_loss (PyTorch 1.13)',
});
