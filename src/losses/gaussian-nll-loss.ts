// gaussian_nll_loss, torch.nn.functional.gaussian_nll_loss. LOSSES.md §5 "gaussian_nll_loss".
//
//   v = max(var, eps)                    (NaN stays NaN)
//   L = 0.5 · (log(v) + (x - y)² / v)    (+ 0.5·log(2π) with full)
//
// PyTorch clamps a clone of var in place under no_grad, so the clamp is invisible to
// autograd: the derivative is evaluated at v and delivered to var as if v were var, also
// where var < eps. With H = 0.5·G and d = x - y, autograd's products are
//   dL/dx = (H / v) · (2d)        dL/dy = -(H / v) · (2d)
//   dL/dvar = (Σ H) / v + Σ -H · ((d² / v) / v)
// where the sums run over the elements var was broadcast to: log(v) keeps var's own shape,
// so its incoming gradient is summed before the division, as PyTorch does.
//
// var's layout is decided against input only (the wrapper's rules): same shape; one
// dimension short (a trailing 1 is appended); or the same leading dims with a last dim of 1.
// Anything else is refused before broadcasting input, target and the adjusted var together.

import { z } from 'zod';
import { reduced, upstream } from '../numeric/reduce.js';
import { broadcastShapes, expandTo, numel, sameShape, showShape, sumTo } from '../numeric/shape.js';
import type { FloatArray } from '../numeric/tensor.js';
import { booleanOption, numberOption, reductionOption } from '../registry/options.js';
import { type ArgsOf, type CheckResult, defineLoss } from '../registry/types.js';
import { EXAMPLE_LABELS, EXAMPLE_X, predictionArg, targetArg } from './args.js';
import { refuse } from './check.js';

const options = z.object({
  reduction: reductionOption(),
  full: booleanOption(false, 'Whether to add the constant 0.5 log(2 pi) to every element.'),
  eps: numberOption(1e-6, 'Lower clamp applied to var (not checked; the clamp does not cut the gradient).'),
});

type Options = z.output<typeof options>;

interface Plan {
  /** The broadcast shape of input, target and the adjusted var: the `none` output shape. */
  readonly shape: readonly number[];
  /** var's shape after the wrapper's adjustment (a trailing 1 appended, or as given). */
  readonly varShape: readonly number[];
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

const f64 = (n: number) => new Float64Array(n);

/** The wrapper's var rules, or null when var is of incorrect size. */
function adjustVar(vs: readonly number[], si: readonly number[]): readonly number[] | null {
  if (sameShape(vs, si)) return vs;
  const lead = si.slice(0, -1);
  if (sameShape(vs, lead)) return [...vs, 1];
  if (vs.length > 0 && sameShape(vs.slice(0, -1), lead) && vs[vs.length - 1] === 1) return vs;
  return null;
}

const ARGS = [
  predictionArg('input', 'Predicted means, any shape.'),
  targetArg('target', 'Observations, any shape that broadcasts with input and var.'),
  targetArg(
    'var',
    'Predicted variances (>= 0): input shape, input shape without its last dimension, or with a last dimension of 1.',
  ),
] as const;

/** The decoded arguments, typed from ARGS. */
type LossArgs = ArgsOf<typeof ARGS>;

function check(args: LossArgs, opts: Options): CheckResult<Plan> {
  const si = args.input.shape;
  const st = args.target.shape;
  const variance = args.var;
  const varShape = adjustVar(variance.shape, si);
  if (varShape === null) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/var',
      `gaussian_nll_loss: var is of incorrect size: var shape ${showShape(variance.shape)} with input shape ${showShape(si)} (expected the input shape, the input shape without its last dimension, or that with a last dimension of 1)`,
    );
  }
  const v = variance.data;
  for (let i = 0; i < v.length; i++) {
    if (v[i]! < 0) {
      return refuse(
        'LOSSD_INVALID_VALUE',
        '/var',
        `gaussian_nll_loss: var has negative entry/entries: element ${i} (row-major) of var shape ${showShape(variance.shape)} is ${v[i]}`,
      );
    }
  }
  const shape = broadcastShapes(si, st, varShape);
  if (shape === null) {
    const targetFits = broadcastShapes(si, st) !== null;
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      targetFits ? '/var' : '/target',
      `gaussian_nll_loss: input ${showShape(si)}, target ${showShape(st)} and var ${showShape(varShape)} (as adjusted) do not broadcast together`,
    );
  }
  return { ok: true, lossShape: opts.reduction === 'none' ? shape : [], plan: { shape, varShape } };
}

export const gaussianNllLoss = defineLoss({
  name: 'gaussian_nll_loss',
  aliases: [],
  summary: 'Gaussian negative log likelihood with a predicted variance.',
  formula: 'L = 0.5 (log v + (x - y)^2 / v), v = max(var, eps); full adds 0.5 log(2 pi)',
  latex:
    '\\ell = \\tfrac12\\Bigl(\\log v + \\frac{(x - y)^2}{v}\\Bigr),\\quad v = \\max(\\text{var}, \\varepsilon)\\ \\bigl(+\\tfrac12\\log 2\\pi \\text{ with full}\\bigr)',
  reference: 'torch.nn.functional.gaussian_nll_loss (PyTorch 1.13)',
  args: ARGS,
  options,
  example: {
    input: EXAMPLE_X,
    target: EXAMPLE_LABELS,
    var: [
      [0.5, 1, 2],
      [1, 0.8, 1.5],
    ],
  },
  check,
  compute: (args, opts, plan, grad, alloc) => {
    const { shape, varShape } = plan;
    const { eps, full } = opts;
    const n = numel(shape);
    const ti = args.input;
    const tt = args.target;
    const tv = args.var;
    const x = expandTo(ti.data, ti.shape, shape, alloc);
    const y = expandTo(tt.data, tt.shape, shape, alloc);
    const v = expandTo(tv.data, varShape, shape, alloc);
    const wantX = grad.wrt.includes('input');
    const wantY = grad.wrt.includes('target');
    const wantV = grad.wrt.includes('var');
    const gx = wantX ? alloc(n) : null;
    const gy = wantY ? alloc(n) : null;
    // var's two gradient terms, kept apart until they are summed to var's shape
    const varBroadcast = !sameShape(varShape, shape);
    const gvA = wantV && varBroadcast ? f64(n) : null;
    const gvB = wantV && varBroadcast ? f64(n) : null;
    const gv = wantV && !varBroadcast ? alloc(n) : null;
    const none = opts.reduction === 'none';
    const gamma = none ? grad.gamma : null;
    const out = none ? alloc(n) : null;
    const G = none ? 1 : upstream(opts.reduction, grad.g, n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const vr = v[i]!;
      const vc = vr < eps ? eps : vr; // clamp(var, min=eps) keeps NaN
      const d = x[i]! - y[i]!;
      const d2 = d * d;
      let l = 0.5 * (Math.log(vc) + d2 / vc);
      if (full) l += HALF_LOG_2PI;
      sum += l;
      if (out !== null) out[i] = l;
      const H = (gamma === null ? G : gamma[i]!) * 0.5;
      if (gx !== null || gy !== null) {
        const gd = (H / vc) * (2 * d);
        if (gx !== null) gx[i] = gd;
        if (gy !== null) gy[i] = -gd;
      }
      if (wantV) {
        const b = -H * (d2 / vc / vc);
        if (gv !== null) gv[i] = H / vc + b;
        else {
          (gvA as Float64Array)[i] = H;
          (gvB as Float64Array)[i] = b;
        }
      }
    }
    const grads: Record<string, FloatArray> = {};
    if (gx !== null) grads.input = sumTo(gx, shape, ti.shape, alloc);
    if (gy !== null) grads.target = sumTo(gy, shape, tt.shape, alloc);
    if (gv !== null) grads.var = gv;
    if (gvA !== null && gvB !== null) {
      const A = sumTo(gvA, shape, varShape, f64);
      const B = sumTo(gvB, shape, varShape, f64);
      const res = alloc(A.length);
      const vd = tv.data;
      for (let j = 0; j < A.length; j++) {
        const vr = vd[j]!;
        const vc = vr < eps ? eps : vr;
        res[j] = A[j]! / vc + B[j]!;
      }
      grads.var = res;
    }
    return { loss: out ?? reduced(opts.reduction, sum, n), grads };
  },
});
