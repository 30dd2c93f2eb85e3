// soft_dtw, soft dynamic time warping of Cuturi & Blondel 2017 (arXiv:1703.01541), as
// mblondel/soft-dtw computes SoftDTW(SquaredEuclidean(x, y), gamma).
//
//   D_ij = Σ_k (x_ik - y_jk)²
//   R_00 = 0,  R_i0 = R_0j = +inf,  R_ij = D_ij + softmin_γ(R_(i-1)j, R_(i-1)(j-1), R_i(j-1))
//   softmin_γ(a) = -γ (log Σ_k exp(a_k / -γ - max) + max),  max = max_k a_k / -γ
//   ℓ = R_nm
//
// The max-shift keeps the recursion finite down to tiny γ (it tends to DTW's hard minimum).
//
// Backward, the reverse sweep autograd runs over the recursion (= mblondel's E recursion):
// Ē_ij, the adjoint of R_ij, reaches its three predecessors with the softmin's weights
// w_k = exp(a_k / -γ - max) / Σ, recomputed from the stored R exactly as the forward pass
// computed them (so no difference of nearly equal R's is divided by a tiny γ). Then
//   ∂ℓ/∂x_i = Σ_j 2 Ē_ij (x_i - y_j),   ∂ℓ/∂y_j = -Σ_i 2 Ē_ij (x_i - y_j)
// R is stored for one pair at a time ((n + 1)(m + 1) doubles); the adjoints need two rows.
// Cost: O(n m d) per pair forward, the same backward; LossDescriptor.work counts it.

import { z } from 'zod';
import { exp } from '../numeric/exp.js';
import { reduced, upstream } from '../numeric/reduce.js';
import { showShape } from '../numeric/shape.js';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { predictionArg, targetArg } from './args.js';
import { refuse } from './check.js';

const OP = 'soft_dtw';

const options = z.object({
  gamma: z
    .number()
    .gt(0, 'soft_dtw: gamma must be > 0')
    .default(1)
    .describe('Smoothing of the minimum (> 0); as it tends to 0, soft-DTW tends to DTW.'),
  reduction: reductionOption(),
});

interface Plan {
  /** Pairs (1 when unbatched). */
  readonly B: number;
  readonly n: number;
  readonly m: number;
  /** Features per time step. */
  readonly d: number;
}

/** Work units per (i, j) cell and feature, and per cell for the softmin and its backward. */
const STEPS_PER_FEATURE = 1;
const STEPS_PER_CELL = 8;

const INF = Number.POSITIVE_INFINITY;

/** Math.max of three (NaN if one is NaN), without the variadic call. */
function max3(a: number, b: number, c: number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(c)) return Number.NaN;
  const ab = a > b ? a : b;
  return ab > c ? ab : c;
}

/** Squared Euclidean distance of x_i (at xo) and y_j (at yo), summed in feature order. */
function sqdist(x: FloatArray, xo: number, y: FloatArray, yo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const t = x[xo + k]! - y[yo + k]!;
    s += t * t;
  }
  return s;
}

/** (n, d) of a sequence of rank 1..3: (n,) is (n, 1), (B, n, d) has batch B. */
function layout(shape: readonly number[]): { B: number; n: number; d: number } {
  if (shape.length === 1) return { B: 1, n: shape[0]!, d: 1 };
  if (shape.length === 2) return { B: 1, n: shape[0]!, d: shape[1]! };
  return { B: shape[0]!, n: shape[1]!, d: shape[2]! };
}

/** One pair of series (at offsets xb, yb) and the table R of its recursion. */
interface Pair {
  readonly x: FloatArray;
  readonly y: FloatArray;
  xb: number;
  yb: number;
  readonly n: number;
  readonly m: number;
  readonly d: number;
  readonly gamma: number;
  /** (n + 1) × (m + 1), row-major. */
  readonly R: Float64Array;
}

/** Fills R and returns R_nm. */
function forward(p: Pair): number {
  const { x, y, xb, yb, n, m, d, gamma, R } = p;
  const W = m + 1;
  R[0] = 0;
  for (let j = 1; j <= m; j++) R[j] = INF;
  for (let i = 1; i <= n; i++) {
    const row = i * W;
    R[row] = INF;
    for (let j = 1; j <= m; j++) {
      const a1 = R[row - W + j]! / -gamma;
      const a2 = R[row - W + j - 1]! / -gamma;
      const a3 = R[row + j - 1]! / -gamma;
      const mx = max3(a1, a2, a3);
      const s = exp(a1 - mx) + exp(a2 - mx) + exp(a3 - mx);
      R[row + j] = sqdist(x, xb + (i - 1) * d, y, yb + (j - 1) * d, d) + -gamma * (Math.log(s) + mx);
    }
  }
  return R[n * W + m]!;
}

/**
 * The reverse sweep from Ē_nm = g: `cur` holds the adjoints of row i, `prev` gathers those of
 * row i - 1; each cell hands its adjoint to D_ij (into gx, gy) and to its three predecessors.
 */
function backward(
  p: Pair,
  g: number,
  gx: FloatArray | null,
  gy: FloatArray | null,
  rows: { cur: Float64Array; prev: Float64Array },
): void {
  const { x, y, xb, yb, n, m, d, gamma, R } = p;
  const W = m + 1;
  let { cur, prev } = rows;
  cur.fill(0);
  prev.fill(0);
  cur[m] = g;
  for (let i = n; i >= 1; i--) {
    const row = i * W;
    const xo = xb + (i - 1) * d;
    for (let j = m; j >= 1; j--) {
      const e = cur[j]!;
      const yo = yb + (j - 1) * d;
      for (let k = 0; k < d; k++) {
        const t = 2 * e * (x[xo + k]! - y[yo + k]!);
        if (gx !== null) gx[xo + k] = gx[xo + k]! + t;
        if (gy !== null) gy[yo + k] = gy[yo + k]! - t;
      }
      const a1 = R[row - W + j]! / -gamma;
      const a2 = R[row - W + j - 1]! / -gamma;
      const a3 = R[row + j - 1]! / -gamma;
      const mx = max3(a1, a2, a3);
      const e1 = exp(a1 - mx);
      const e2 = exp(a2 - mx);
      const e3 = exp(a3 - mx);
      const s = e1 + e2 + e3;
      prev[j] = prev[j]! + (e * e1) / s;
      prev[j - 1] = prev[j - 1]! + (e * e2) / s;
      cur[j - 1] = cur[j - 1]! + (e * e3) / s;
    }
    const t = cur;
    cur = prev;
    prev = t;
    prev.fill(0);
  }
}

export const softDtw = defineLoss({
  name: OP,
  aliases: [],
  summary: 'Soft-DTW: a differentiable dynamic-time-warping discrepancy between two time series.',
  formula:
    'R[i,j] = D[i,j] + softmin_gamma(R[i-1,j], R[i-1,j-1], R[i,j-1]), R[0,0] = 0, R[i,0] = R[0,j] = inf, D[i,j] = |x_i - y_j|^2; L = R[n,m]',
  latex:
    'R_{ij} = \\lVert x_i - y_j \\rVert^2 + \\operatorname{softmin}_\\gamma(R_{i-1,j}, R_{i-1,j-1}, R_{i,j-1}),\\quad \\operatorname{softmin}_\\gamma(a) = -\\gamma \\log \\sum_k e^{-a_k/\\gamma},\\quad \\ell = R_{nm}',
  reference: 'Soft-DTW of Cuturi & Blondel 2017, arXiv:1703.01541 (mblondel/soft-dtw SoftDTW, squared Euclidean cost)',
  args: [
    predictionArg('x', 'A time series: (n,), (n, d) or a batch (B, n, d); n >= 1.'),
    targetArg('y', 'The other series, of the same rank, feature size d (and batch B); its length m >= 1 may differ.'),
  ],
  options,
  example: {
    x: [
      [0.0, 1.0],
      [1.0, 0.5],
      [2.0, 0.0],
    ],
    y: [
      [0.0, 1.0],
      [2.0, 0.0],
    ],
  },
  check: (args, opts): CheckResult<Plan> => {
    const x = args.x;
    const y = args.y;
    if (x.shape.length < 1 || x.shape.length > 3) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/x',
        `${OP}: x must be (n,), (n, d) or (B, n, d), got ${showShape(x.shape)}`,
      );
    }
    if (y.shape.length !== x.shape.length) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/y',
        `${OP}: y must have the rank of x ${showShape(x.shape)}, got ${showShape(y.shape)}`,
      );
    }
    const lx = layout(x.shape);
    const ly = layout(y.shape);
    if (lx.B !== ly.B || lx.d !== ly.d) {
      const what = lx.B !== ly.B ? 'batch size' : 'feature size';
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/y',
        `${OP}: y ${showShape(y.shape)} must have the ${what} of x ${showShape(x.shape)}`,
      );
    }
    if (lx.n === 0) return refuse('LOSSD_SHAPE_MISMATCH', '/x', `${OP}: x is an empty sequence ${showShape(x.shape)}`);
    if (ly.n === 0) return refuse('LOSSD_SHAPE_MISMATCH', '/y', `${OP}: y is an empty sequence ${showShape(y.shape)}`);
    const batched = x.shape.length === 3;
    return {
      ok: true,
      lossShape: opts.reduction === 'none' && batched ? [lx.B] : [],
      plan: { B: lx.B, n: lx.n, m: ly.n, d: lx.d },
    };
  },
  work: (_args, _opts, { B, n, m, d }) => ({
    steps: B * n * m * (STEPS_PER_CELL + STEPS_PER_FEATURE * d),
    path: n >= m ? '/x' : '/y',
  }),
  compute: (args, opts, plan, grad, alloc) => {
    const x = args.x.data;
    const y = args.y.data;
    const { B, n, m, d } = plan;
    const none = opts.reduction === 'none';
    const out = none ? alloc(B) : null;
    const gx = grad.wrt.includes('x') ? alloc(B * n * d) : null;
    const gy = grad.wrt.includes('y') ? alloc(B * m * d) : null;
    const G = upstream(opts.reduction, grad.g, B);
    const pair: Pair = { x, y, xb: 0, yb: 0, n, m, d, gamma: opts.gamma, R: new Float64Array((n + 1) * (m + 1)) };
    const rows = gx !== null || gy !== null ? { cur: new Float64Array(m + 1), prev: new Float64Array(m + 1) } : null;

    let total = 0;
    for (let b = 0; b < B; b++) {
      pair.xb = b * n * d;
      pair.yb = b * m * d;
      const l = forward(pair);
      total += l;
      if (out !== null) out[b] = l;
      if (rows !== null) backward(pair, none ? (grad.gamma === null ? 1 : grad.gamma[b]!) : G, gx, gy, rows);
    }
    const grads: Record<string, FloatArray> = {};
    if (gx !== null) grads.x = gx;
    if (gy !== null) grads.y = gy;
    return { loss: out ?? reduced(opts.reduction, total, B), grads };
  },
});
