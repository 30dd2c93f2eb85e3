// dice_loss, soft Dice (Milletari et al. 2016, V-Net) as monai.losses.DiceLoss with
// sigmoid=False, softmax=False, squared_pred=False, jaccard=False, batch=False,
// include_background=True.
//
// Per (sample n, channel c), summing over the spatial positions j:
//   I = Σ x·y     D = Σ y + Σ x     L_nc = 1 - (2 I + smooth_nr) / (D + smooth_dr)
//   ∂L/∂x_j = -2 y_j / (D + s_dr) + (2 I + s_nr) / (D + s_dr)²   (and x ↔ y for the target)
//
// Dice measures overlap relative to size, so a small structure counts as much as a large one
// (unlike a per-voxel loss dominated by the background). The smoothing terms define the
// empty channel: 1 - s_nr / s_dr (0 by default, -inf with s_dr = 0, NaN with both 0); the
// gradient is written as autograd's products so those inf/NaN propagate as in MONAI.
// lossd's `none` has shape (N, C); MONAI keeps trailing ones (N, C, 1, ..., 1).

import { z } from 'zod';
import { reduced, upstream } from '../numeric/reduce.js';
import { sameShape, showShape } from '../numeric/shape.js';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { predictionArg, targetArg } from './args.js';
import { refuse } from './check.js';

const options = z.object({
  reduction: reductionOption(),
  smooth_nr: z
    .number()
    .min(0, 'smooth_nr must be >= 0')
    .default(1e-5)
    .describe('Added to the numerator 2·Σ x·y (>= 0).'),
  smooth_dr: z
    .number()
    .min(0, 'smooth_dr must be >= 0')
    .default(1e-5)
    .describe('Added to the denominator Σ x + Σ y (>= 0).'),
});

interface Plan {
  /** Number of (sample, channel) pairs, N·C. */
  readonly rows: number;
  /** Spatial positions per pair. */
  readonly inner: number;
}

export const diceLoss = defineLoss({
  name: 'dice_loss',
  aliases: [],
  summary: 'Soft Dice loss per sample and channel over the spatial dimensions.',
  formula: 'L[n, c] = 1 - (2 sum_j x y + smooth_nr) / (sum_j x + sum_j y + smooth_dr), j over spatial positions',
  latex: '\\ell_{nc} = 1 - \\frac{2\\sum_j x_{ncj} y_{ncj} + s_{nr}}{\\sum_j x_{ncj} + \\sum_j y_{ncj} + s_{dr}}',
  reference:
    'monai.losses.DiceLoss (include_background=True, no activation, squared_pred=False, jaccard=False, batch=False); Milletari et al. 2016, arXiv:1606.04797',
  args: [
    predictionArg('input', 'Predicted probabilities, (N, C, d1, ...) with at least one spatial dimension.'),
    targetArg('target', 'Targets (one-hot, multi-label or soft), the same shape as input.'),
  ],
  options,
  example: {
    input: [
      [
        [0.9, 0.2, 0.6],
        [0.1, 0.8, 0.4],
      ],
    ],
    target: [
      [
        [1, 0, 1],
        [0, 1, 0],
      ],
    ],
  },
  check: (args, opts): CheckResult<Plan> => {
    const x = args.input;
    const y = args.target;
    if (x.shape.length < 3) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/input',
        `input must be (N, C, d1, ...) with at least one spatial dim, got ${showShape(x.shape)}`,
      );
    }
    if (!sameShape(x.shape, y.shape)) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/target',
        `target has shape ${showShape(y.shape)}, input ${showShape(x.shape)}: they must be equal`,
      );
    }
    const N = x.shape[0]!;
    const C = x.shape[1]!;
    let inner = 1;
    for (let k = 2; k < x.shape.length; k++) inner *= x.shape[k]!;
    return { ok: true, lossShape: opts.reduction === 'none' ? [N, C] : [], plan: { rows: N * C, inner } };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const xs = args.input.data;
    const ys = args.target.data;
    const { rows, inner } = plan;
    const snr = opts.smooth_nr;
    const sdr = opts.smooth_dr;
    const none = opts.reduction === 'none';
    const out = none ? alloc(rows) : null;
    const gx = grad.wrt.includes('input') ? alloc(rows * inner) : null;
    const gy = grad.wrt.includes('target') ? alloc(rows * inner) : null;
    const G = none ? 1 : upstream(opts.reduction, grad.g, rows);
    const Gamma = none ? grad.gamma : null;
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const base = r * inner;
      let inter = 0;
      let sy = 0;
      let sx = 0;
      for (let j = base; j < base + inner; j++) {
        const x = xs[j]!;
        const y = ys[j]!;
        inter += y * x;
        sy += y;
        sx += x;
      }
      const num = 2 * inter + snr;
      const den = sy + sx + sdr;
      const frac = num / den;
      const l = 1 - frac;
      sum += l;
      if (out !== null) out[r] = l;
      if (gx === null && gy === null) continue;

      const Gr = Gamma === null ? G : Gamma[r]!;
      const gFrac = -Gr;
      const gInter = 2 * (gFrac / den);
      const gDen = -gFrac * (frac / den);
      for (let j = base; j < base + inner; j++) {
        if (gx !== null) gx[j] = gInter * ys[j]! + gDen;
        if (gy !== null) gy[j] = gInter * xs[j]! + gDen;
      }
    }
    const grads: Record<string, FloatArray> = {};
    if (gx !== null) grads.input = gx;
    if (gy !== null) grads.target = gy;
    return { loss: out ?? reduced(opts.reduction, sum, rows), grads };
  },
});
