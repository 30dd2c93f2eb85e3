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

/** Which of h's three pieces applies to u: 0 (u <= -t), 2 (else u >= t) or 1; NaN gives 1. */
const piece = (u: number, t: number) => Number(!(u <= -t)) * (1 + Number(u >= t));

/**
 * The loop of smooth_l1_loss and of huber_loss: one piecewise function, scaled in two places.
 * With threshold t, quadratic divisor s and linear factor k:
 *
 *   L = 0.5 z² / s  if z < t,  else  k (z - 0.5 t)
 *   h(u) = -k if u <= -t;  +k else if u >= t;  u / s otherwise
 *
 * smooth_l1_loss is (t, s, k) = (β, β, 1), huber_loss (δ, 1, δ). Huber is δ · smooth_l1 with
 * β = δ in exact arithmetic but not in floating point: (0.5 z² / δ) · δ and (d / δ) · δ differ
 * from 0.5 z² and d in the last bit for about one difference in nine. So each loss keeps the
 * operations PyTorch writes, and the factor that is 1 costs nothing in exactness (x / 1 and
 * 1 · x are x, signed zeros and NaN included).
 */
export function quadraticLinearLoop<O>(scales: (opts: O) => readonly [t: number, s: number, k: number]): PairLoop<O> {
  // Both sides of each case are computed and one is picked by index from a small array: the
  // side a real difference falls on is a coin flip, and a mispredicted branch costs more than
  // the arithmetic. The values are exactly those of the branches.
  return (x, y, n, G, gamma, out, gx, gy, opts) => {
    const [t, s, k] = scales(opts);
    // huber's s is 1: skipping its divisions (x / 1 is x) keeps huber as fast as its own loop
    const divide = s !== 1;
    const halfT = 0.5 * t;
    const L = new Float64Array(2);
    const H = Float64Array.of(-k, 0, k);
    let sum = 0;
    if (gamma === null && out === null && gy === null && gx !== null) {
      for (let i = 0; i < n; i++) {
        const d = x[i]! - y[i]!;
        const z = Math.abs(d);
        L[0] = k * (z - halfT);
        L[1] = divide ? (0.5 * z * z) / s : 0.5 * z * z;
        sum += L[Number(z < t)]!;
        H[1] = divide ? d / s : d;
        gx[i] = H[piece(d, t)]! * G;
      }
      return sum;
    }
    for (let i = 0; i < n; i++) {
      const d = x[i]! - y[i]!;
      const z = Math.abs(d);
      L[0] = k * (z - halfT);
      L[1] = divide ? (0.5 * z * z) / s : 0.5 * z * z;
      const l = L[Number(z < t)]!;
      sum += l;
      if (out !== null) out[i] = l;
      const Gi = gamma === null ? G : gamma[i]!;
      if (gx !== null) {
        H[1] = divide ? d / s : d;
        gx[i] = H[piece(d, t)]! * Gi;
      }
      if (gy !== null) {
        H[1] = divide ? -d / s : -d;
        gy[i] = H[piece(-d, t)]! * Gi;
      }
    }
    return sum;
  };
}

const loop = quadraticLinearLoop<Options>(({ beta }) => [beta, beta, 1]);

export const smoothL1Loss = definePairLoss(options, loop, {
  name: 'smooth_l1_loss',
  aliases: [],
  summary: 'Quadratic below beta, absolute above.',
  formula: 'L = 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta, d = x - y',
  latex:
    '\\ell = \\begin{cases} 0.5\\,d^2/\\beta & |d| < \\beta \\\\ |d| - 0.5\\,\\beta & \\text{otherwise} \\end{cases},\\quad d = x - y',
  reference: 'torch.nn.functional.smooth_l1_loss (PyTorch 1.13)',
});
