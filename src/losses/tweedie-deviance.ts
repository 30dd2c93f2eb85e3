// tweedie_deviance, the unit deviance of the Tweedie distributions, as scikit-learn 1.2's
// sklearn.metrics.mean_tweedie_deviance(y_true, y_pred, sample_weight, power). With y = y_true,
// mu = y_pred and p = power, scikit-learn's branches:
//
//   p < 0:  2 (max(y, 0)^(2-p) / ((1-p)(2-p)) - y mu^(1-p) / (1-p) + mu^(2-p) / (2-p))
//   p = 0:  (y - mu)^2                              (normal: squared error)
//   p = 1:  2 (xlogy(y, y / mu) - y + mu)          (Poisson; 0 log 0 = 0)
//   p = 2:  2 (log(mu / y) + y / mu - 1)           (Gamma)
//   else:   the p < 0 form without the max         (compound Poisson-Gamma, inverse Gaussian, ...)
//
// Derivatives: ∂/∂mu = 2 mu^(-p) (mu - y) for every p; ∂/∂y = 2 (y^(1-p) - mu^(1-p)) / (1 - p)
// (max(y, 0) for p < 0), 2 log(y / mu) at p = 1, 2 (1/mu - 1/y) at p = 2. At y = 0 with
// 1 <= p < 2 that is -inf: the true derivative (torch's xlogy backward would say NaN).
// Domains as scikit-learn raises them: 0 < p < 1 has no distribution; p < 0 needs mu > 0,
// 1 <= p < 2 needs y >= 0 and mu > 0, p >= 2 needs both > 0. scikit-learn refuses more than
// one output; lossd averages the outputs as mean_pinball_loss does.

import { z } from 'zod';
import type { FloatTensor } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type CheckFailure, defineLoss } from '../registry/types.js';
import { refuse } from './check.js';
import { elementPath } from './element-path.js';
import { checkRegression, regressionArgs, runRegression } from './weighted-regression.js';

const options = z.object({
  power: z
    .number()
    .refine((p) => p <= 0 || p >= 1, 'Tweedie deviance is only defined for power <= 0 and power >= 1')
    .default(0)
    .describe('Tweedie power p, <= 0 or >= 1: 0 normal, 1 Poisson, 2 Gamma, 3 inverse Gaussian.'),
  reduction: reductionOption(),
});

type Options = z.output<typeof options>;

function deviance(y: number, mu: number, d: Float64Array, opts: Options): number {
  const p = opts.power;
  if (p === 0) {
    d[0] = 2 * (y - mu);
    d[1] = 2 * (mu - y);
    return (y - mu) ** 2;
  }
  if (p === 1) {
    d[0] = 2 * Math.log(y / mu);
    d[1] = 2 * ((mu - y) / mu);
    const xlogy = y === 0 ? 0 : y * Math.log(y / mu);
    return 2 * (xlogy - y + mu);
  }
  if (p === 2) {
    d[0] = 2 * (1 / mu - 1 / y);
    d[1] = 2 * ((mu - y) / (mu * mu));
    return 2 * (Math.log(mu / y) + y / mu - 1);
  }
  // two pows per element: mu^(2-p) = mu^(1-p) mu, mu^(-p) = mu^(1-p) / mu, likewise for y
  const yy = p < 0 ? Math.max(y, 0) : y;
  const mu1 = mu ** (1 - p);
  const y1 = yy ** (1 - p);
  d[0] = (2 * (y1 - mu1)) / (1 - p);
  d[1] = 2 * ((mu1 / mu) * (mu - y));
  // y^(2-p) = y^(1-p) y, but 0 at y = 0 (where y^(1-p) is inf for 1 < p < 2)
  const y2 = yy === 0 ? 0 : y1 * yy;
  return 2 * (y2 / ((1 - p) * (2 - p)) - (y * mu1) / (1 - p) + (mu1 * mu) / (2 - p));
}

/** The first element outside `ok`, as a refusal naming it. */
function firstOutside(name: string, t: FloatTensor, ok: (v: number) => boolean, message: string): CheckFailure | null {
  for (let i = 0; i < t.data.length; i++) {
    if (!ok(t.data[i]!)) return refuse('LOSSD_INVALID_VALUE', elementPath(name, t.shape, i), message);
  }
  return null;
}

function checkDomain(yt: FloatTensor, yp: FloatTensor, opts: Options): CheckFailure | null {
  const p = opts.power;
  const positive = (v: number) => v > 0;
  if (p < 0) {
    const message = `Mean Tweedie deviance error with power=${p} can only be used on strictly positive y_pred`;
    return firstOutside('y_pred', yp, positive, message);
  }
  if (p >= 1 && p < 2) {
    const message = `Mean Tweedie deviance error with power=${p} can only be used on non-negative y and strictly positive y_pred`;
    return firstOutside('y_true', yt, (v) => v >= 0, message) ?? firstOutside('y_pred', yp, positive, message);
  }
  if (p >= 2) {
    const message = `Mean Tweedie deviance error with power=${p} can only be used on strictly positive y and y_pred`;
    return firstOutside('y_true', yt, positive, message) ?? firstOutside('y_pred', yp, positive, message);
  }
  return null;
}

export const tweedieDeviance = defineLoss({
  name: 'tweedie_deviance',
  aliases: [],
  summary: 'Tweedie deviance (normal, Poisson, Gamma, ...), scikit-learn mean_tweedie_deviance.',
  formula:
    'l = 2 (y^(2-p) / ((1-p)(2-p)) - y mu^(1-p) / (1-p) + mu^(2-p) / (2-p)); p = 0: (y - mu)^2, p = 1: 2 (y log(y/mu) - y + mu), p = 2: 2 (log(mu/y) + y/mu - 1)',
  latex: '\\ell = 2\\left(\\frac{y^{2-p}}{(1-p)(2-p)} - \\frac{y\\,\\mu^{1-p}}{1-p} + \\frac{\\mu^{2-p}}{2-p}\\right)',
  reference: 'sklearn.metrics.mean_tweedie_deviance (scikit-learn 1.2)',
  args: regressionArgs,
  example: { y_true: [2, 0.5, 1], y_pred: [1.5, 0.5, 1], power: 1.5 },
  options,
  check: (args, opts) => checkRegression(args, opts, checkDomain),
  compute: (args, opts, plan, grad, alloc) => runRegression(deviance, args, opts, plan, grad, alloc),
});
