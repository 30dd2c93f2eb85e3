// log_cosh_loss, Keras / optax `log_cosh`, elementwise.
//
//   d = x - y      L = log(cosh d) = |d| + softplus(-2|d|) - log 2
//   dL/dx = tanh(d)      dL/dy = -tanh(d)
//
// log cosh is quadratic (d²/2) near 0 and linear (|d| - log 2) far away, like Huber without a
// threshold, and smooth everywhere. cosh overflows for |d| > 710, so the loss is written in
// the softplus form, exact for any finite d; |d| = inf gives inf with gradient ±1, and
// inf - inf = NaN propagates. tanh is the gradient itself (0 at d = 0), not 1 - 2σ(-2|d|),
// which would lose all relative precision for small d.

import { z } from 'zod';
import { softplus } from '../numeric/stable.js';
import { reductionOption } from '../registry/options.js';
import { definePairLoss, type PairLoop } from './pointwise.js';

const options = z.object({ reduction: reductionOption() });

const loop: PairLoop<unknown> = (x, y, n, G, gamma, out, gx, gy) => {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    const a = Math.abs(d);
    const l = a + softplus(-2 * a) - Math.LN2;
    sum += l;
    if (out !== null) out[i] = l;
    const g = Math.tanh(d) * (gamma === null ? G : gamma[i]!);
    if (gx !== null) gx[i] = g;
    if (gy !== null) gy[i] = -g;
  }
  return sum;
};

export const logCoshLoss = definePairLoss(options, loop, {
  name: 'log_cosh_loss',
  aliases: [],
  summary: 'Logarithm of the hyperbolic cosine of the error: quadratic near 0, linear far away.',
  formula: 'L = log(cosh(x - y)) = |d| + softplus(-2|d|) - log 2, d = x - y',
  latex: '\\ell = \\log\\cosh(x - y) = |d| + \\log\\left(1 + e^{-2|d|}\\right) - \\log 2,\\quad d = x - y',
  reference: 'Keras losses.log_cosh / optax.log_cosh (elementwise; reduction as torch.nn.functional.mse_loss)',
});
