// huber_loss, torch.nn.functional.huber_loss. LOSSES.md §4 "huber_loss".
//
//   z = |d|,  L = 0.5 z²  if z < δ,  else  δ (z - 0.5 δ)          (= δ · smooth_l1(β = δ))
//   h(u) = -δ if u <= -δ;  +δ else if u >= δ;  u otherwise
//   dL/dx = h(d)      dL/dy = h(-d) = -h(d)   (δ > 0)

import { z } from 'zod';
import { reductionOption } from '../registry/options.js';
import { definePairLoss, type PairLoop } from './pointwise.js';

const options = z.object({
  reduction: reductionOption(),
  delta: z
    .number()
    .gt(0, 'huber_loss does not support non-positive values for delta')
    .default(1)
    .describe('Where the loss turns from quadratic to linear (> 0).'),
});

type Options = z.output<typeof options>;

/** Which of h's three pieces applies to u: 0 (u <= -δ), 2 (u >= δ) or 1 (also for NaN); δ > 0. */
const piece = (u: number, delta: number) => Number(!(u <= -delta)) + Number(u >= delta);

// smooth_l1_loss's loop, with PyTorch's huber operations in place of δ times its result: in
// floating point (0.5 z² / δ) · δ and (d / δ) · δ differ from 0.5 z² and d in the last bit for
// about one difference in nine, so δ · smooth_l1 would not be PyTorch's huber_loss. One loop
// for both, with the scale factors as parameters (1 where a loss has none), was bit-identical
// but measured 1.3-1.5× slower for huber (V8 shares one closure's type feedback between the
// two losses); so the two loops keep one structure, side by side: both sides of each case
// computed, one picked by index (no data-dependent branch), the values exactly those of the
// branches.
const loop: PairLoop<Options> = (x, y, n, G, gamma, out, gx, gy, { delta }) => {
  const halfDelta = 0.5 * delta;
  const L = new Float64Array(2);
  const H = Float64Array.of(-delta, 0, delta);
  let sum = 0;
  if (gamma === null && out === null && gy === null && gx !== null) {
    for (let i = 0; i < n; i++) {
      const d = x[i]! - y[i]!;
      const z = Math.abs(d);
      L[0] = delta * (z - halfDelta);
      L[1] = 0.5 * z * z;
      sum += L[Number(z < delta)]!;
      H[1] = d;
      gx[i] = H[piece(d, delta)]! * G;
    }
    return sum;
  }
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    const z = Math.abs(d);
    L[0] = delta * (z - halfDelta);
    L[1] = 0.5 * z * z;
    const l = L[Number(z < delta)]!;
    sum += l;
    if (out !== null) out[i] = l;
    const Gi = gamma === null ? G : gamma[i]!;
    if (gx !== null) {
      H[1] = d;
      gx[i] = H[piece(d, delta)]! * Gi;
    }
    if (gy !== null) {
      H[1] = -d;
      gy[i] = H[piece(-d, delta)]! * Gi;
    }
  }
  return sum;
};

export const huberLoss = definePairLoss(options, loop, {
  name: 'huber_loss',
  aliases: [],
  summary: 'Quadratic below delta, linear above.',
  formula: 'L = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta), d = x - y',
  latex:
    '\\ell = \\begin{cases} 0.5\\,d^2 & |d| < \\delta \\\\ \\delta\\,(|d| - 0.5\\,\\delta) & \\text{otherwise} \\end{cases},\\quad d = x - y',
  reference: 'torch.nn.functional.huber_loss (PyTorch 1.13)',
});
