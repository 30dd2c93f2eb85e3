// binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits.
// LOSSES.md §5 "binary_cross_entropy_with_logits".
//
// PyTorch's stable form, reproduced operation by operation so that rounding matches (the
// log is a plain log, not log1p: x = 36.5, y = 1 gives 2.22e-16 as PyTorch does):
//   m = max(-x, 0)      S = log(exp(-m) + exp(-x - m))        (= log(1 + exp(-|x|)))
//   no pos_weight:  L = ((1 - y) · x + m) + S
//   pos_weight pw:  L = (1 - y) · x + ((pw - 1) · y + 1) · (S + m)
//   then            L = L · w
// There is no overflow for finite x; x = -inf gives inf - inf = NaN, as in PyTorch.
//
// The backward is PyTorch's dedicated one (g, then w, then / numel for "mean"):
//   dL/dx = (σ(x) - y) · g · w                    or ((pw·y + 1 - y) · σ(x) - pw·y) · g · w
//   dL/dy = -x · g · w                            or (logσ(-x) - logσ(x) · pw) · g · w
//
// target must have input's shape exactly; weight and pos_weight are combined into the loss
// in place, so each must broadcast to input's shape without enlarging it.

import { z } from 'zod';
import { expandTo, numel, sameShape, showShape } from '../numeric/shape.js';
import { logSigmoid, sigmoid } from '../numeric/stable.js';
import type { FloatArray, FloatTensor } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type ArgsOf, type CheckResult, defineLoss } from '../registry/types.js';
import { optionalConstantArg, PAIR_EXAMPLE, predictionArg, targetArg, weightArg } from './args.js';
import { checkBroadcastsIntoInput, refuse } from './check.js';

const options = z.object({ reduction: reductionOption() });

type Options = z.output<typeof options>;

interface Plan {
  readonly shape: readonly number[];
}

const NAME = 'binary_cross_entropy_with_logits';

const ARGS = [
  predictionArg('input', 'Logits, any shape.'),
  targetArg('target', 'Targets, same shape as input (values are not checked).'),
  weightArg('Optional rescaling weight, broadcast to input shape without enlarging it (not differentiable).'),
  optionalConstantArg(
    'pos_weight',
    'Optional weight of the positive term, usually one per class along the last dimension; broadcast to input shape without enlarging it (not differentiable).',
  ),
] as const;

/** The decoded arguments, typed from ARGS. */
type LossArgs = ArgsOf<typeof ARGS>;

function check(args: LossArgs, opts: Options): CheckResult<Plan> {
  const si = args.input.shape;
  const st = args.target.shape;
  if (!sameShape(st, si)) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/target',
      `${NAME}: target size ${showShape(st)} must be the same as input size ${showShape(si)}`,
    );
  }
  for (const name of ['weight', 'pos_weight']) {
    const refused = checkBroadcastsIntoInput(NAME, args, name, si);
    if (refused !== null) return refused;
  }
  return { ok: true, lossShape: opts.reduction === 'none' ? si : [], plan: { shape: si } };
}

/** Values of an optional argument laid out as `shape`, or null when it is absent. */
function expandOptional(t: FloatTensor | undefined, shape: readonly number[], alloc: (n: number) => FloatArray) {
  return t === undefined ? null : expandTo(t.data, t.shape, shape, alloc);
}

export const binaryCrossEntropyWithLogits = defineLoss({
  name: NAME,
  aliases: [],
  summary: 'Binary cross entropy on logits, with an optional positive-class weight.',
  formula: 'L = -w (pw y logsigmoid(x) + (1 - y) logsigmoid(-x))',
  latex: '\\ell = -w\\,\\bigl(p_w\\, y \\log \\sigma(x) + (1 - y) \\log \\sigma(-x)\\bigr)',
  reference: 'torch.nn.functional.binary_cross_entropy_with_logits (PyTorch 1.13)',
  args: ARGS,
  options,
  example: PAIR_EXAMPLE,
  check,
  compute: (args, opts, plan, grad, alloc) => {
    const { shape } = plan;
    const n = numel(shape);
    const x = args.input.data;
    const y = args.target.data;
    const w = expandOptional(args.weight, shape, alloc);
    const pw = expandOptional(args.pos_weight, shape, alloc);
    const none = opts.reduction === 'none';
    const mean = opts.reduction === 'mean';
    const gamma = none ? grad.gamma : null;
    const out = none ? alloc(n) : null;
    const gx = grad.wrt.includes('input') ? alloc(n) : null;
    const gy = grad.wrt.includes('target') ? alloc(n) : null;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const yi = y[i]!;
      const wi = w === null ? 1 : w[i]!;
      const nx = -xi;
      const m = nx < 0 ? 0 : nx; // clamp_min(-x, 0) keeps NaN
      const S = Math.log(Math.exp(-m) + Math.exp(nx - m));
      const gi = gamma === null ? grad.g : gamma[i]!;
      let l: number;
      let dx = 0;
      let dy = 0;
      if (pw === null) {
        l = (1 - yi) * xi + m + S;
        if (gx !== null) dx = (sigmoid(xi) - yi) * gi;
        if (gy !== null) dy = nx * gi;
      } else {
        const p = pw[i]!;
        l = (1 - yi) * xi + ((p - 1) * yi + 1) * (S + m);
        if (gx !== null) {
          const t = p * yi;
          dx = (t + 1 - yi) * sigmoid(xi) - t;
          dx *= gi;
        }
        if (gy !== null) dy = (logSigmoid(nx) - logSigmoid(xi) * p) * gi;
      }
      l *= wi;
      sum += l;
      if (out !== null) out[i] = l;
      if (gx !== null) {
        dx *= wi;
        gx[i] = mean ? dx / n : dx;
      }
      if (gy !== null) {
        dy *= wi;
        gy[i] = mean ? dy / n : dy;
      }
    }
    const grads: Record<string, FloatArray> = {};
    if (gx !== null) grads.input = gx;
    if (gy !== null) grads.target = gy;
    return { loss: out ?? (mean ? sum / n : sum), grads };
  },
});
