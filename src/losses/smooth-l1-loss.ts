// smooth_l1_loss, torch.nn.functional.smooth_l1_loss. LOSSES.md §4 "smooth_l1_loss".
//
//   z = |d|,  L = 0.5 z² / β  if z < β,  else  z - 0.5 β      (β = 0: the L1 loss)
//   h(u) = -1 if u <= -β;  +1 else if u >= β;  u / β otherwise
//   dL/dx = h(d)      dL/dy = h(-d)      (not -h(d): PyTorch calls the same kernel with the
//                                         operands swapped, so β = 0, d = 0 gives -1 to both)
//
// A NaN difference fails every comparison: loss NaN and gradient d / β = NaN.

import { z } from 'zod';
import { reductionOption } from '../registry/options.js';
import { definePairLoss, type PairLoop } from './pointwise.js';

const options = z.object({
  reduction: reductionOption(),
  beta: z
    .number()
    .min(0, 'smooth_l1_loss does not support negative values for beta')
    .default(1)
    .describe('Where the loss turns from quadratic to linear (>= 0; 0 gives the L1 loss).'),
});

type Options = z.output<typeof options>;

/** Which of h's three pieces applies to u: 0 (u <= -β), 2 (else u >= β) or 1; NaN gives 1. */
const piece = (u: number, beta: number) => Number(!(u <= -beta)) * (1 + Number(u >= beta));

// Both sides of each case are computed and one is picked by index from a small array: the
// side a real difference falls on is a coin flip, and a mispredicted branch costs more than
// the arithmetic. The values are exactly those of the branches.
const loop: PairLoop<Options> = (x, y, n, G, gamma, out, gx, gy, { beta }) => {
  const halfBeta = 0.5 * beta;
  const L = new Float64Array(2);
  const H = Float64Array.of(-1, 0, 1);
  let sum = 0;
  if (gamma === null && out === null && gy === null && gx !== null) {
    for (let i = 0; i < n; i++) {
      const d = x[i]! - y[i]!;
      const z = Math.abs(d);
      L[0] = z - halfBeta;
      L[1] = (0.5 * z * z) / beta;
      sum += L[Number(z < beta)]!;
      H[1] = d / beta;
      gx[i] = H[piece(d, beta)]! * G;
    }
    return sum;
  }
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    const z = Math.abs(d);
    L[0] = z - halfBeta;
    L[1] = (0.5 * z * z) / beta;
    const l = L[Number(z < beta)]!;
    sum += l;
    if (out !== null) out[i] = l;
    const Gi = gamma === null ? G : gamma[i]!;
    if (gx !== null) {
      H[1] = d / beta;
      gx[i] = H[piece(d, beta)]! * Gi;
    }
    if (gy !== null) {
      H[1] = -d / beta;
      gy[i] = H[piece(-d, beta)]! * Gi;
    }
  }
  return sum;
};

export const smoothL1Loss = definePairLoss(options, loop, {
  name: 'smooth_l1_loss',
  aliases: [],
  summary: 'Quadratic below beta, absolute above.',
  formula: 'L = 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta, d = x - y',
  latex:
    '\\ell = \\begin{cases} 0.5\\,d^2/\\beta & |d| < \\beta \\\\ |d| - 0.5\\,\\beta & \\text{otherwise} \\end{cases},\\quad d = x - y',
  reference: 'torch.nn.functional.smooth_l1_loss (PyTorch 1.13)',
});
