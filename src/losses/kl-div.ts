// kl_div, torch.nn.functional.kl_div. LOSSES.md §5 "kl_div".
//
//   log_target = false:  L = xlogy(y, y) - y·x           (xlogy(0, 0) = 0, never 0·log 0)
//   log_target = true:   L = exp(y) · (y - x)
//
// PyTorch 1.13 builds kl_div from composite ops, so the gradients are what autograd derives
// from those ops, not the textbook derivative:
//   dL/dx = -G·y                                   (-G·exp(y) with log_target)
//   dL/dy = -G·x + G·xlogy([y != 0], y) + G·y/y    (so y = 0 gives 0/0 = NaN, as in PyTorch)
//   dL/dy = G·exp(y) + G·(y - x)·exp(y)            (log_target; y = x = -inf gives NaN)
// The terms are accumulated in the order autograd's engine adds them. A broadcast target is
// summed at the op that broadcast it, before its own factors apply (broadcastTargetGrad).
//
// "mean" divides by every element of the broadcast shape (PyTorch's default, not the KL
// divergence of a batch); "batchmean" is PyTorch's sum followed by a division by
// input.shape[0] (no division for a 0-d input), so it runs as "sum" with g / D upstream.

import { z } from 'zod';
import { broadcastShapes, expandTo, showShape } from '../numeric/shape.js';
import type { Alloc, Reduction } from '../numeric/tensor.js';
import { booleanOption } from '../registry/options.js';
import { type ArgsOf, type CheckResult, defineLoss, type GradRequest, type KernelResult } from '../registry/types.js';
import { predictionArg, targetArg } from './args.js';
import { refuse } from './check.js';
import { broadcastStreams, isBroadcastGrad, type PairLoop, type PairPlan, runPair } from './pointwise.js';

const options = z.object({
  reduction: z
    .enum(['none', 'mean', 'sum', 'batchmean'])
    .default('mean')
    .describe(
      'How the per-element losses are reduced: "none", "mean" (over every element), "sum", or "batchmean" (sum / input.shape[0]).',
    ),
  log_target: booleanOption(false, 'Whether target is given in log space.'),
});

type Options = z.output<typeof options>;

const loop: PairLoop<Options> = (x, y, n, G, gamma, out, gx, gy, { log_target }) => {
  let sum = 0;
  if (log_target) {
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const yi = y[i]!;
      const e = Math.exp(yi);
      const diff = yi - xi;
      const l = e * diff;
      sum += l;
      if (out !== null) out[i] = l;
      const Gi = gamma === null ? G : gamma[i]!;
      const ge = Gi * e;
      if (gx !== null) gx[i] = -ge;
      if (gy !== null) gy[i] = ge + Gi * diff * e;
    }
    return sum;
  }
  if (gamma === null && out === null && gy === null && gx !== null) {
    // the default request: one log per element for the loss, none for the gradient
    const nG = -G;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const yi = y[i]!;
      sum += (yi === 0 ? 0 : yi * Math.log(yi)) - yi * xi;
      gx[i] = nG * yi;
    }
    return sum;
  }
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    // xlogy(y, y): 0 at y = 0, NaN for a NaN y (the log of NaN)
    const l = (yi === 0 ? 0 : yi * Math.log(yi)) - yi * xi;
    sum += l;
    if (out !== null) out[i] = l;
    const Gi = gamma === null ? G : gamma[i]!;
    if (gx !== null) gx[i] = -Gi * yi;
    if (gy !== null) {
      // xlogy([y != 0], y): 0 at y = 0, log(y) otherwise (NaN for y < 0 and y NaN)
      const dxlogy = yi === 0 ? 0 : Math.log(yi);
      gy[i] = -Gi * xi + Gi * dxlogy + (Gi * yi) / yi;
    }
  }
  return sum;
};

const ARGS = [
  predictionArg('input', 'Log-probabilities, any shape that broadcasts with target.'),
  targetArg('target', 'Probabilities (log-probabilities with log_target), any shape that broadcasts with input.'),
] as const;

/** The decoded arguments, typed from ARGS. */
type LossArgs = ArgsOf<typeof ARGS>;

/**
 * The gradient of a target broadcast to plan.shape, summed where PyTorch sums it (at the op
 * that broadcast it, before the target's own factor applies):
 *   log_target = false:  Σ(-G·x) + ΣG·xlogy([y != 0], y) + ΣG·y/y
 *   log_target = true:   Σ(G·exp(y)) + Σ(G·(y - x))·exp(y)
 * So a target 0 broadcast against an empty input still gets 0·0/0 = NaN, as in PyTorch.
 */
function broadcastTargetGrad(args: LossArgs, opts: Options, plan: PairPlan, grad: GradRequest, alloc: Alloc) {
  const xt = args.input;
  const yt = args.target;
  const x = expandTo(xt.data, xt.shape, plan.shape, alloc);
  const y = expandTo(yt.data, yt.shape, plan.shape, alloc);
  const [sp, sq] = broadcastStreams(plan, yt.shape, opts.reduction as Reduction, grad, 2, (i, Gi, [P, Q]) => {
    const xi = x[i]!;
    const yi = y[i]!;
    if (opts.log_target) {
      (P as Float64Array)[i] = Gi * (yi - xi);
      (Q as Float64Array)[i] = Gi * Math.exp(yi);
    } else {
      (P as Float64Array)[i] = Gi;
      (Q as Float64Array)[i] = -Gi * xi;
    }
  }) as [Float64Array, Float64Array];
  const gy = alloc(yt.data.length);
  for (let k = 0; k < gy.length; k++) {
    const yk = yt.data[k]!;
    const S = sp[k]!;
    const Q = sq[k]!;
    gy[k] = opts.log_target ? Q + S * Math.exp(yk) : Q + S * (yk === 0 ? 0 : Math.log(yk)) + (S * yk) / yk;
  }
  return gy;
}

/** runPair, except for a broadcast target's gradient (above). `opts.reduction` is never batchmean here. */
function run(args: LossArgs, opts: Options, plan: PairPlan, grad: GradRequest, alloc: Alloc): KernelResult {
  if (!isBroadcastGrad(args, 'target', plan, grad)) return runPair(loop, args, opts, plan, grad, alloc);
  const rest = runPair(loop, args, opts, plan, { ...grad, wrt: grad.wrt.filter((a) => a !== 'target') }, alloc);
  return { ...rest, grads: { ...rest.grads, target: broadcastTargetGrad(args, opts, plan, grad, alloc) } };
}

function check(args: LossArgs, opts: Options): CheckResult<PairPlan> {
  const si = args.input.shape;
  const st = args.target.shape;
  const shape = broadcastShapes(si, st);
  if (shape === null) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/target',
      `kl_div: target shape ${showShape(st)} does not broadcast with input shape ${showShape(si)}`,
    );
  }
  return { ok: true, lossShape: opts.reduction === 'none' ? shape : [], plan: { shape } };
}

export const klDiv = defineLoss({
  name: 'kl_div',
  aliases: [],
  summary: 'Pointwise KL divergence, input in log space.',
  formula: 'L = y (log y - x), or exp(y) (y - x) with log_target',
  latex:
    '\\ell = \\begin{cases} y\\,(\\log y - x) & \\text{log\\_target = false} \\\\ e^{y}\\,(y - x) & \\text{log\\_target = true} \\end{cases}',
  reference: 'torch.nn.functional.kl_div (PyTorch 1.13)',
  args: ARGS,
  options,
  // input: log-probabilities; target: probabilities (each row sums to 1)
  example: {
    input: [
      [-1.2, -0.9, -1.2],
      [-1.6, -0.5, -1.4],
    ],
    target: [
      [0.2, 0.5, 0.3],
      [0.1, 0.6, 0.3],
    ],
  },
  check,
  compute: (args, opts, plan, grad, alloc) => {
    if (opts.reduction !== 'batchmean') return run(args, opts, plan, grad, alloc);
    // batchmean = sum / input.shape[0]; a 0-d input is not divided
    const si = args.input.shape;
    const D = si.length === 0 ? 1 : si[0]!;
    const r = run(args, { ...opts, reduction: 'sum' }, plan, { ...grad, g: grad.g / D }, alloc);
    return { loss: (r.loss as number) / D, grads: r.grads };
  },
});
