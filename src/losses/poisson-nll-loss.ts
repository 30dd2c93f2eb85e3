// poisson_nll_loss, torch.nn.functional.poisson_nll_loss. LOSSES.md §5 "poisson_nll_loss".
//
//   log_input = true:   L = exp(x) - y·x                  (x is the log-rate)
//   log_input = false:  L = x - y·log(x + eps)            (x is the rate)
//   full = true adds Stirling's approximation of log(y!), masked where y <= 1:
//                       L += y·log(y) - y + 0.5·log(2π·y)     unless y <= 1 (NaN y is not masked)
//
// PyTorch 1.13 builds this from composite ops, so gradients are autograd's products:
//   dL/dx = G·exp(x) - G·y                 or  G + (-G·y) / (x + eps)
//   dL/dy = -G·x                           or  -G·log(x + eps)
//   full:   dL/dy += S·log(y) + S·y/y - S + (0.5·S / (2π·y))·2π,   S = (y <= 1 ? 0 : G)
// The masked Stirling term still multiplies its zeroed gradient by log(y) and divides by y,
// so y = 0 (0·-inf, 0/0) and y < 0 (log of a negative) give a NaN target gradient while the
// loss stays finite: PyTorch's behaviour, kept on purpose.
//
// No value checks: negative or fractional targets and any eps are computed as given.
//
// A broadcast argument is summed where PyTorch sums it: at the op that broadcasts, before its
// own non-linear factor is applied. So a broadcast input's gradient is
//   log_input = true:   exp(x)·ΣG + Σ(-G·y)            log_input = false:  ΣG + Σ(-G·y) / (x + eps)
// and a broadcast target's Stirling term is taken at ΣG, not Σ of the per-element gradients.
// They differ only through non-finite values and empty broadcasts: with x + eps = 0, targets
// 0 and 1 in the summed group give -inf in PyTorch (Σ(-G·y) = -1, then / 0), where summing
// the per-element -0/0 = NaN and -1/0 would give NaN; a target 0 broadcast against an empty
// input still gets the Stirling term's 0·log 0 = NaN.

import { z } from 'zod';
import { expandTo } from '../numeric/shape.js';
import type { Alloc } from '../numeric/tensor.js';
import { booleanOption, numberOption, reductionOption } from '../registry/options.js';
import { type ArgsOf, defineLoss, type GradRequest, type KernelResult } from '../registry/types.js';
import { PAIR_EXAMPLE, predictionArg, targetArg } from './args.js';
import {
  broadcastStreams,
  checkNamedPair,
  isBroadcastGrad,
  type PairLoop,
  type PairPlan,
  runPair,
} from './pointwise.js';

const options = z.object({
  reduction: reductionOption(),
  log_input: booleanOption(true, 'Whether input is the log of the rate (true) or the rate itself (false).'),
  full: booleanOption(false, "Whether to add Stirling's approximation term (applied where target > 1)."),
  eps: numberOption(1e-8, 'Added to the rate inside log when log_input is false (not checked).'),
});

type Options = z.output<typeof options>;

const TWO_PI = 2 * Math.PI;

const loop: PairLoop<Options> = (x, y, n, G, gamma, out, gx, gy, { log_input, full, eps }) => {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    const Gi = gamma === null ? G : gamma[i]!;
    let l: number;
    let dy = 0;
    if (log_input) {
      const e = Math.exp(xi);
      l = e - yi * xi;
      if (gx !== null) gx[i] = Gi * e + -Gi * yi;
      if (gy !== null) dy = -Gi * xi;
    } else {
      const r = xi + eps;
      const logr = Math.log(r);
      l = xi - yi * logr;
      if (gx !== null) gx[i] = Gi + (-Gi * yi) / r;
      if (gy !== null) dy = -Gi * logr;
    }
    if (full) {
      const masked = yi <= 1; // a NaN target is not masked
      if (!masked) l += yi * Math.log(yi) - yi + 0.5 * Math.log(TWO_PI * yi);
      if (gy !== null) {
        dy += stirlingGrad(masked ? 0 : Gi, yi);
      }
    }
    sum += l;
    if (out !== null) out[i] = l;
    if (gy !== null) gy[i] = dy;
  }
  return sum;
};

const ARGS = [
  predictionArg('input', 'Log-rates (or rates when log_input is false), any shape that broadcasts with target.'),
  targetArg('target', 'Observed counts, any shape that broadcasts with input (values are not checked).'),
] as const;

/** The decoded arguments, typed from ARGS. */
type LossArgs = ArgsOf<typeof ARGS>;

// The Stirling term's contribution to the target gradient, for the upstream factor S that
// reaches it (0 where the mask y <= 1 holds; a NaN target is not masked).
function stirlingGrad(S: number, y: number): number {
  return S * Math.log(y) + (S * y) / y - S + ((0.5 * S) / (TWO_PI * y)) * TWO_PI;
}

/**
 * Gradients of arguments broadcast to plan.shape, summed in PyTorch's order (see the header):
 *   input:  exp(x)·ΣG + Σ(-G·y)   or   ΣG + Σ(-G·y) / (x + eps)
 *   target: Σ(-G·x) or Σ(-G·log(x + eps)), plus with full the Stirling term taken at ΣG
 */
function broadcastGrad(
  name: 'input' | 'target',
  args: LossArgs,
  opts: Options,
  plan: PairPlan,
  grad: GradRequest,
  alloc: Alloc,
) {
  const xt = args.input;
  const yt = args.target;
  const own = name === 'input' ? xt : yt;
  const x = expandTo(xt.data, xt.shape, plan.shape, alloc);
  const y = expandTo(yt.data, yt.shape, plan.shape, alloc);
  const [sg, sq] = broadcastStreams(plan, own.shape, opts.reduction, grad, 2, (i, Gi, [P, Q]) => {
    (P as Float64Array)[i] = Gi;
    if (name === 'input') (Q as Float64Array)[i] = -Gi * y[i]!;
    else {
      const xi = x[i]!;
      (Q as Float64Array)[i] = -Gi * (opts.log_input ? xi : Math.log(xi + opts.eps));
    }
  }) as [Float64Array, Float64Array];
  const out = alloc(own.data.length);
  for (let k = 0; k < out.length; k++) {
    const v = own.data[k]!;
    const S = sg[k]!;
    const Q = sq[k]!;
    if (name === 'input') out[k] = opts.log_input ? Math.exp(v) * S + Q : S + Q / (v + opts.eps);
    else out[k] = opts.full ? Q + stirlingGrad(v <= 1 ? 0 : S, v) : Q;
  }
  return out;
}

function compute(args: LossArgs, opts: Options, plan: PairPlan, grad: GradRequest, alloc: Alloc): KernelResult {
  const special = (['input', 'target'] as const).filter((a) => isBroadcastGrad(args, a, plan, grad));
  if (special.length === 0) return runPair(loop, args, opts, plan, grad, alloc);
  const rest = runPair(
    loop,
    args,
    opts,
    plan,
    { ...grad, wrt: grad.wrt.filter((a) => !special.includes(a as never)) },
    alloc,
  );
  const grads = { ...rest.grads };
  for (const a of special) grads[a] = broadcastGrad(a, args, opts, plan, grad, alloc);
  return { ...rest, grads };
}

export const poissonNllLoss = defineLoss({
  name: 'poisson_nll_loss',
  aliases: [],
  summary: 'Poisson negative log likelihood.',
  formula: 'L = exp(x) - y x (log_input), or x - y log(x + eps); full adds y log y - y + 0.5 log(2 pi y) for y > 1',
  latex:
    '\\ell = \\begin{cases} e^{x} - y\\,x & \\text{log\\_input} \\\\ x - y \\log(x + \\varepsilon) & \\text{otherwise} \\end{cases} \\;+\\; [\\text{full},\\ y > 1]\\,\\bigl(y \\log y - y + \\tfrac12 \\log(2\\pi y)\\bigr)',
  reference: 'torch.nn.functional.poisson_nll_loss (PyTorch 1.13)',
  args: ARGS,
  options,
  example: PAIR_EXAMPLE,
  check: (args, opts) => checkNamedPair('poisson_nll_loss', args, opts.reduction),
  compute,
});
