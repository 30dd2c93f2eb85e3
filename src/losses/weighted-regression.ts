// The plumbing scikit-learn's regression metrics share (mean_pinball_loss,
// mean_tweedie_deviance): y_true and y_pred of one shape, (n,) or (n, k), an optional
// per-sample weight, and the reductions built on numpy.average. Each metric supplies only its
// elementwise loss and that loss's two partial derivatives.
//
//   none: w_i l_ij     sum: Σ w_i l_ij     mean: Σ w_i l_ij / (k W),  W = Σ w_i
//
// The mean is numpy.average over samples with the weights, then the plain mean over the k
// outputs (multioutput="uniform_average"); without weights w_i = 1 and W = n.
// Its gradient with respect to a weight: ∂mean/∂w_i = Σ_j l_ij / (k W) - mean / W.

import { showShape } from '../numeric/shape.js';
import type { Alloc, FloatArray, FloatTensor, Reduction } from '../numeric/tensor.js';
import type { ArgSpec, ArgsOf, CheckFailure, CheckResult, GradRequest, KernelResult } from '../registry/types.js';
import { refuse } from './check.js';
import { elementPath } from './element-path.js';

export interface RegressionPlan {
  /** Samples. */
  readonly n: number;
  /** Outputs per sample (1 for a 1-d y_true). */
  readonly k: number;
  /** Σ w_i (n without weights). */
  readonly W: number;
}

/**
 * One element: returns l(t, p) and writes ∂l/∂t to d[0] and ∂l/∂p to d[1]. Called once per
 * element, always with the same scratch array.
 */
export type ElementLoss<O> = (t: number, p: number, d: Float64Array, opts: O) => number;

/** A metric's own domain check over the finite inputs, run before the weights' sum is judged. */
/** The decoded arguments of a regression metric. */
export type RegressionArgs = ArgsOf<typeof regressionArgs>;

export type DomainCheck<O> = (yTrue: FloatTensor, yPred: FloatTensor, opts: O) => CheckFailure | null;

export const regressionArgs: readonly [
  ArgSpec<'y_true', 'float', true>,
  ArgSpec<'y_pred', 'float', true>,
  ArgSpec<'sample_weight', 'float', false>,
] = [
  {
    name: 'y_true',
    kind: 'float',
    required: true,
    differentiable: true,
    gradByDefault: false,
    description: 'Ground truth, (n_samples,) or (n_samples, n_outputs); finite.',
  },
  {
    name: 'y_pred',
    kind: 'float',
    required: true,
    differentiable: true,
    gradByDefault: true,
    description: 'Predictions, the shape of y_true; finite.',
  },
  {
    name: 'sample_weight',
    kind: 'float',
    required: false,
    differentiable: true,
    gradByDefault: false,
    description: 'Optional weight of each sample, (n_samples,); finite and >= 0.',
  },
];

function firstNonFinite(name: string, t: FloatTensor): CheckFailure | null {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      return refuse(
        'LOSSD_INVALID_VALUE',
        elementPath(name, t.shape, i),
        `${name} holds NaN or an infinity (scikit-learn: 'Input contains NaN, infinity or a value too large')`,
      );
    }
  }
  return null;
}

/** scikit-learn's checks in its order: shapes, emptiness, finiteness, weights, the metric's domain. */
export function checkRegression<O extends { reduction: Reduction }>(
  args: RegressionArgs,
  opts: O,
  domain: DomainCheck<O> | null,
): CheckResult<RegressionPlan> {
  const yt = args.y_true;
  const yp = args.y_pred;
  const w = args.sample_weight;
  const rank = yt.shape.length;
  if (rank !== 1 && rank !== 2) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/y_true',
      `y_true must be (n_samples,) or (n_samples, n_outputs), got ${showShape(yt.shape)}`,
    );
  }
  if (yp.shape.length !== rank || yp.shape.some((d, i) => d !== yt.shape[i])) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/y_pred',
      `y_pred has shape ${showShape(yp.shape)}, y_true ${showShape(yt.shape)}: they must be equal`,
    );
  }
  const n = yt.shape[0]!;
  const k = rank === 2 ? yt.shape[1]! : 1;
  if (n === 0 || k === 0) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/y_true',
      `no samples or no outputs (shape ${showShape(yt.shape)}): scikit-learn refuses empty arrays`,
    );
  }
  const finite = firstNonFinite('y_true', yt) ?? firstNonFinite('y_pred', yp);
  if (finite !== null) return finite;
  let W = n;
  if (w !== undefined) {
    if (w.shape.length !== 1 || w.shape[0] !== n) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/sample_weight',
        `sample_weight must have shape [${n}] (one weight per sample), got ${showShape(w.shape)}`,
      );
    }
    W = 0;
    for (let i = 0; i < n; i++) {
      const v = w.data[i]!;
      if (!(Number.isFinite(v) && v >= 0)) {
        return refuse('LOSSD_INVALID_VALUE', `/sample_weight/${i}`, 'sample_weight must be finite and >= 0');
      }
      W += v;
    }
  }
  const outside = domain === null ? null : domain(yt, yp, opts);
  if (outside !== null) return outside;
  if (opts.reduction === 'mean' && W === 0) {
    return refuse(
      'LOSSD_INVALID_VALUE',
      '/sample_weight',
      "sample_weight sums to 0: the weighted mean is undefined (numpy.average: 'Weights sum to zero, can't be normalized')",
    );
  }
  return { ok: true, lossShape: opts.reduction === 'none' ? yt.shape : [], plan: { n, k, W } };
}

/** Forward and backward of a weighted elementwise metric. */
export function runRegression<O extends { reduction: Reduction }>(
  element: ElementLoss<O>,
  args: RegressionArgs,
  opts: O,
  plan: RegressionPlan,
  grad: GradRequest,
  alloc: Alloc,
): KernelResult {
  const yt = args.y_true.data;
  const yp = args.y_pred.data;
  const w = args.sample_weight?.data ?? null;
  const { n, k, W } = plan;
  const total = n * k;
  const none = opts.reduction === 'none';
  const mean = opts.reduction === 'mean';
  const out = none ? alloc(total) : null;
  const gt = grad.wrt.includes('y_true') ? alloc(total) : null;
  const gp = grad.wrt.includes('y_pred') ? alloc(total) : null;
  const gw = w !== null && grad.wrt.includes('sample_weight') ? alloc(n) : null;
  const gamma = none ? grad.gamma : null;
  // the factor of every element of a reduced loss, before its sample's weight
  const G = mean ? grad.g / (k * W) : grad.g;
  const d = new Float64Array(2);
  let sum = 0;
  // Σ_j γ_ij l_ij per sample: the weight's gradient before the mean's own term
  const rowSums = gw === null ? null : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const wi = w === null ? 1 : w[i]!;
    let rowSum = 0;
    for (let e = i * k; e < i * k + k; e++) {
      const l = element(yt[e]!, yp[e]!, d, opts);
      sum += wi * l;
      if (out !== null) out[e] = wi * l;
      const u = gamma === null ? G : gamma[e]!;
      if (rowSums !== null) rowSum += u * l;
      const uw = u * wi;
      if (gt !== null) gt[e] = uw * d[0]!;
      if (gp !== null) gp[e] = uw * d[1]!;
    }
    if (rowSums !== null) rowSums[i] = rowSum;
  }
  const loss = mean ? sum / (k * W) : sum;
  if (gw !== null && rowSums !== null) {
    const shift = mean ? grad.g * (loss / W) : 0;
    for (let i = 0; i < n; i++) gw[i] = rowSums[i]! - shift;
  }
  const grads: Record<string, FloatArray> = {};
  if (gt !== null) grads.y_true = gt;
  if (gp !== null) grads.y_pred = gp;
  if (gw !== null) grads.sample_weight = gw;
  return { loss: out ?? loss, grads };
}
