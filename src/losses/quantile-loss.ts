// quantile_loss, the pinball loss of quantile regression, as scikit-learn 1.2's
// sklearn.metrics.mean_pinball_loss(y_true, y_pred, sample_weight, alpha).
//
//   d = y_true - y_pred     s = [d >= 0]     l = alpha s d - (1 - alpha)(1 - s) d
//
// i.e. alpha max(d, 0) + (1 - alpha) max(-d, 0): minimising it over y_pred gives the alpha
// quantile of y_true. scikit-learn's arithmetic, with its branch at d = 0 (s = 1), so that the
// y_pred gradient there is -alpha, not a subgradient of the other side. Weights, reductions
// and scikit-learn's refusals are ./weighted-regression.ts's.

import { z } from 'zod';
import { reductionOption } from '../registry/options.js';
import { defineLoss } from '../registry/types.js';
import { checkRegression, regressionArgs, runRegression } from './weighted-regression.js';

const options = z.object({
  alpha: z
    .number()
    .min(0, 'alpha (the quantile) must be in [0, 1]')
    .max(1, 'alpha (the quantile) must be in [0, 1]')
    .default(0.5)
    .describe('The quantile, in [0, 1]: the weight of under-predictions (0.5: half the absolute error).'),
  reduction: reductionOption(),
});

type Options = z.output<typeof options>;

function pinball(t: number, p: number, d: Float64Array, opts: Options): number {
  const a = opts.alpha;
  const diff = t - p;
  const s = diff >= 0 ? 1 : 0;
  const slope = a * s - (1 - a) * (1 - s);
  d[0] = slope;
  d[1] = -slope;
  return a * s * diff - (1 - a) * (1 - s) * diff;
}

export const quantileLoss = defineLoss({
  name: 'quantile_loss',
  aliases: [],
  summary: 'Pinball (quantile) loss, scikit-learn mean_pinball_loss with optional sample weights.',
  formula:
    'l = alpha max(y_true - y_pred, 0) + (1 - alpha) max(y_pred - y_true, 0); mean = sum_i w_i sum_j l_ij / (k sum_i w_i)',
  latex:
    '\\ell_{ij} = \\alpha \\max(y_{ij} - \\hat y_{ij}, 0) + (1 - \\alpha) \\max(\\hat y_{ij} - y_{ij}, 0),\\quad \\text{mean} = \\frac{\\sum_i w_i \\sum_j \\ell_{ij}}{k \\sum_i w_i}',
  reference: 'sklearn.metrics.mean_pinball_loss (scikit-learn 1.2)',
  args: regressionArgs,
  example: { y_true: [1.5, -0.5, 2], y_pred: [1, 0, 2.5], alpha: 0.9 },
  options,
  check: (args, opts) => checkRegression(args, opts, null),
  compute: (args, opts, plan, grad, alloc) => runRegression(pinball, args, opts, plan, grad, alloc),
});
