// soft_margin_loss, torch.nn.functional.soft_margin_loss. LOSSES.md §6 "soft_margin_loss".
//
//   z = exp(-y·x)        L = log(1 + z)        dL/dx = -y·z / (1 + z)
//
// Written literally, as PyTorch's kernel is, not as a stable softplus: for -y·x > 709.78, z
// overflows, the loss is +inf and the gradient inf/inf = NaN; for large y·x, 1 + z rounds
// to 1, the loss is exactly 0 and the gradient the tiny -y·z. The golden cases pin both.
//
// The kernel writes into a tensor of input's shape and multiplies target in place, so target
// must broadcast to input's shape without enlarging it. PyTorch has no gradient for target.

import { z } from 'zod';
import { broadcastsInto } from '../numeric/broadcast-into.js';
import { showShape } from '../numeric/shape.js';
import { reductionOption } from '../registry/options.js';
import { type ArgsOf, type CheckResult, defineLoss } from '../registry/types.js';
import { constantArg, PAIR_EXAMPLE, predictionArg } from './args.js';
import { refuse } from './check.js';
import { type PairLoop, type PairPlan, runPair } from './pointwise.js';

const options = z.object({ reduction: reductionOption() });

type Options = z.output<typeof options>;

const loop: PairLoop<unknown> = (x, y, n, G, gamma, out, gx) => {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    const z = Math.exp(-xi * yi);
    const l = Math.log(1 + z);
    sum += l;
    if (out !== null) out[i] = l;
    if (gx !== null) gx[i] = (-(yi * z) / (1 + z)) * (gamma === null ? G : gamma[i]!);
  }
  return sum;
};

const ARGS = [
  predictionArg('input', 'Scores, any shape.'),
  constantArg('target', 'Labels, typically 1 or -1 (any real is used); broadcast to input shape without enlarging it.'),
] as const;

/** The decoded arguments, typed from ARGS. */
type LossArgs = ArgsOf<typeof ARGS>;

function check(args: LossArgs, opts: Options): CheckResult<PairPlan> {
  const si = args.input.shape;
  const st = args.target.shape;
  if (!broadcastsInto(st, si)) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/target',
      `soft_margin_loss: target shape ${showShape(st)} does not broadcast to input shape ${showShape(si)} without enlarging it`,
    );
  }
  return { ok: true, lossShape: opts.reduction === 'none' ? si : [], plan: { shape: si } };
}

export const softMarginLoss = defineLoss({
  name: 'soft_margin_loss',
  aliases: [],
  summary: 'Two-class logistic loss.',
  formula: 'L = log(1 + exp(-y x))',
  latex: '\\ell = \\log\\bigl(1 + e^{-y\\,x}\\bigr)',
  reference: 'torch.nn.functional.soft_margin_loss (PyTorch 1.13)',
  args: ARGS,
  options,
  example: PAIR_EXAMPLE,
  check,
  compute: (args, opts, plan, grad, alloc) => runPair(loop, args, opts, plan, grad, alloc),
});
