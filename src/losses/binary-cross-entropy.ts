// binary_cross_entropy, torch.nn.functional.binary_cross_entropy. LOSSES.md §5
// "binary_cross_entropy".
//
//   L = w · ((y - 1) · max(log(1 - x), -100) - y · max(log(x), -100))
//
// The -100 clamp keeps saturated probabilities finite (x = 0, y = 1 gives exactly 100), and
// log(1 - x) is written as PyTorch's CPU kernel writes it (not log1p(-x)). The backward is
// PyTorch's dedicated kernel, not the derivative of the clamped forward:
//   dL/dx = G · (x - y) / max((1 - x) · x, EPS32) · w
//   dL/dy = -logit(x) · G · w = -log(x / (1 - x)) · G · w        (unclamped: ±inf at 0 and 1)
// EPS32 is the float32 constant 1e-12 that kernel uses, widened to double; with "mean" the
// kernels multiply by the incoming g and divide by numel last, and so does this file.
//
// Shapes follow the Python wrapper and the kernel's in-place `loss.mul_(weight)`: target must
// have input's shape exactly, weight must broadcast to it without enlarging it. Every input
// element must lie in [0, 1] (NaN fails); target is not checked in 1.13.

import { z } from 'zod';
import { expandTo, numel, sameShape, showShape } from '../numeric/shape.js';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type ArgsOf, type CheckResult, defineLoss } from '../registry/types.js';
import { PAIR_EXAMPLE, predictionArg, targetArg, weightArg } from './args.js';
import { checkBroadcastsIntoInput, refuse } from './check.js';

/** The float32 constant 1e-12 as a double (LOSSES.md §11). */
export const EPS32 = 9.999999960041972e-13;

const options = z.object({ reduction: reductionOption() });

type Options = z.output<typeof options>;

interface Plan {
  readonly shape: readonly number[];
}

const ARGS = [
  predictionArg('input', 'Probabilities in [0, 1], any shape.'),
  targetArg('target', 'Targets, same shape as input (values are not checked).'),
  weightArg('Optional rescaling weight, broadcast to input shape without enlarging it (not differentiable).'),
] as const;

/** The decoded arguments, typed from ARGS. */
type LossArgs = ArgsOf<typeof ARGS>;

function check(args: LossArgs, opts: Options): CheckResult<Plan> {
  const input = args.input;
  const si = input.shape;
  const st = args.target.shape;
  if (!sameShape(st, si)) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/target',
      `binary_cross_entropy: target shape ${showShape(st)} must be the same as input shape ${showShape(si)}`,
    );
  }
  const refused = checkBroadcastsIntoInput('binary_cross_entropy', args, 'weight', si);
  if (refused !== null) return refused;
  const x = input.data;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!(v >= 0 && v <= 1)) {
      return refuse(
        'LOSSD_INVALID_VALUE',
        '/input',
        `binary_cross_entropy: all elements of input should be between 0 and 1, element ${i} (row-major) of input shape ${showShape(si)} is ${v}`,
      );
    }
  }
  return { ok: true, lossShape: opts.reduction === 'none' ? si : [], plan: { shape: si } };
}

export const binaryCrossEntropy = defineLoss({
  name: 'binary_cross_entropy',
  aliases: [],
  summary: 'Binary cross entropy on probabilities.',
  formula: 'L = -w (y log x + (1 - y) log(1 - x)), each log clamped at -100',
  latex: '\\ell = -w\\,\\bigl(y \\log x + (1 - y) \\log(1 - x)\\bigr)',
  reference: 'torch.nn.functional.binary_cross_entropy (PyTorch 1.13)',
  args: ARGS,
  options,
  example: PAIR_EXAMPLE,
  check,
  compute: (args, opts, plan, grad, alloc) => {
    const { shape } = plan;
    const n = numel(shape);
    const x = args.input.data;
    const y = args.target.data;
    const wt = args.weight;
    const w: FloatArray | null = wt === undefined ? null : expandTo(wt.data, wt.shape, shape, alloc);
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
      const log1mx = Math.log(1 - xi);
      const logx = Math.log(xi);
      const l = ((yi - 1) * (log1mx < -100 ? -100 : log1mx) - yi * (logx < -100 ? -100 : logx)) * wi;
      sum += l;
      if (out !== null) out[i] = l;
      const gi = gamma === null ? grad.g : gamma[i]!;
      if (gx !== null) {
        const den = (1 - xi) * xi;
        const v = ((gi * (xi - yi)) / (den < EPS32 ? EPS32 : den)) * wi;
        gx[i] = mean ? v / n : v;
      }
      if (gy !== null) {
        const v = -Math.log(xi / (1 - xi)) * gi * wi;
        gy[i] = mean ? v / n : v;
      }
    }
    const grads: Record<string, FloatArray> = {};
    if (gx !== null) grads.input = gx;
    if (gy !== null) grads.target = gy;
    return { loss: out ?? (mean ? sum / n : sum), grads };
  },
});
