// huber_loss, torch.nn.functional.huber_loss. LOSSES.md §4 "huber_loss".
//
//   z = |d|,  L = 0.5 z²  if z < δ,  else  δ (z - 0.5 δ)          (= δ · smooth_l1(β = δ))
//   h(u) = -δ if u <= -δ;  +δ else if u >= δ;  u otherwise
//   dL/dx = h(d)      dL/dy = h(-d) = -h(d)   (δ > 0)

import { z } from 'zod';
import { reductionOption } from '../registry/options.js';
import { defineLoss } from '../registry/types.js';
import { predictionArg, targetArg } from './args.js';
import { checkPair, runPair } from './pointwise.js';
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

export const huberLoss = defineLoss({
  name: 'huber_loss',
  aliases: [],
  summary: 'Quadratic below delta, linear above.',
  formula: 'L = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta), d = x - y',
  latex:
    '\\ell = \\begin{cases} 0.5\\,d^2 & |d| < \\delta \\\\ \\delta\\,(|d| - 0.5\\,\\delta) & \\text{otherwise} \\end{cases},\\quad d = x - y',
  reference: 'torch.nn.functional.huber_loss (PyTorch 1.13)',
  args: [
    predictionArg('input', 'Predictions, any shape that broadcasts with target.'),
    targetArg('target', 'Targets, any shape that broadcasts with input.'),
  ],
  options,
  example: {
    input: [
      [0.3, 0.7, 0.2],
      [0.6, 0.4, 0.9],
    ],
    target: [
      [1, 0, 1],
      [0, 1, 1],
    ],
  },
  check: (args, opts) => checkPair(args, opts.reduction),
  compute: (args, opts, plan, grad, alloc) => runPair(loop, args, opts, plan, grad, alloc),
});
