// sinkhorn_loss, POT's ot.sinkhorn2(a, b, M, reg, method="sinkhorn_log", numItermax,
// stopThr=0) (Cuturi 2013): the transport cost <T, M> of the entropic plan after exactly
// numItermax log-domain Sinkhorn iterations, differentiated through all of them.
//
//   Mr = -M / reg,  u = 0,  v = 0;  numItermax times:
//     v = log b - logsumexp_i(Mr + u[:, None])      (one value per column j)
//     u = log a - logsumexp_j(Mr + v[None, :])      (one value per row i)
//   T = exp(Mr + u[:, None] + v[None, :]),  ℓ = Σ M ⊙ T
//
// POT stops early once the marginal error falls below stopThr; lossd never does, so the value
// is POT's with stopThr=0. logsumexp is torch's: shifted by the maximum, or by 0 when that is
// infinite (an all -inf column gives -inf). A b of shape (m, k) is k problems solved one after
// the other (POT's own loop), the loss then has shape (k,).
//
// Backward is reverse mode through the loop, as autograd runs it (not the envelope theorem):
//   X = Mr + u + v:   X̄ = G M ⊙ T,  M̄ += G T,  ū = Σ_j X̄,  v̄ = Σ_i X̄,  M̄r += X̄
//   then for t = numItermax .. 1, with W = exp(x - logsumexp(x)) the softmax weights:
//     u^t = log a - lse_j(Mr + v^t):      (log a)‾ += ū;  M̄r, v̄ -= ū ⊙ W
//     v^t = log b - lse_i(Mr + u^(t-1)):  (log b)‾ += v̄;  M̄r, ū^(t-1) -= v̄ ⊙ W
//   ā = (log a)‾ / a,  b̄ = (log b)‾ / b,  M̄ += -M̄r / reg
// The forward pass keeps the two logsumexp vectors of every iteration (numItermax (n + m)
// doubles) so that every u^t, v^t is recomputed bit for bit. Nothing is skipped where a factor
// is 0: a zero weight gives (log a)‾ = 0 and ā = 0 / 0 = NaN, an infinite cost 0 · inf = NaN,
// exactly where autograd produces them.

import { z } from 'zod';
import { exp } from '../numeric/exp.js';
import { reduced, upstream } from '../numeric/reduce.js';
import { showShape } from '../numeric/shape.js';
import type { FloatArray, FloatTensor } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type ArgSpec, type CheckResult, defineLoss } from '../registry/types.js';
import { predictionArg } from './args.js';
import { refuse } from './check.js';
import { elementPath } from './element-path.js';

const OP = 'sinkhorn_loss';

const MAX_ITER = 10_000;

const options = z.object({
  reg: z
    .number()
    .gt(0, 'sinkhorn_loss: reg must be > 0')
    .default(0.1)
    .describe('Entropic regularization (> 0); small values approach exact optimal transport.'),
  numItermax: z
    .int()
    .min(1, `sinkhorn_loss: numItermax must be in [1, ${MAX_ITER}]`)
    .max(MAX_ITER, `sinkhorn_loss: numItermax must be in [1, ${MAX_ITER}]`)
    .default(100)
    .describe(`Sinkhorn iterations, all of them run (POT's stopThr=0); an integer in [1, ${MAX_ITER}].`),
  reduction: reductionOption(),
});

interface Plan {
  readonly n: number;
  readonly m: number;
  /** Target histograms (1 for a 1-D or absent b). */
  readonly k: number;
}

/** Work units per cost-matrix cell and iteration (two logsumexps forward, two backward). */
const STEPS_PER_CELL = 6;
/** Per stored logsumexp value: bounds the memory kept for the backward pass. */
const STEPS_PER_STORED = 16;

function marginalArg<N extends string>(name: N, description: string): ArgSpec<N, 'float', false> {
  return { name, kind: 'float', required: false, differentiable: true, gradByDefault: false, description };
}

/** The first negative or non-finite weight of `t`, as a refusal. */
function badWeight(name: string, t: FloatTensor) {
  for (let i = 0; i < t.data.length; i++) {
    const w = t.data[i]!;
    if (!(w >= 0 && w < Number.POSITIVE_INFINITY)) {
      return refuse(
        'LOSSD_INVALID_VALUE',
        elementPath(name, t.shape, i),
        `${OP}: ${name} must be finite and >= 0, got ${w}`,
      );
    }
  }
  return null;
}

/** torch.logsumexp's shift: the maximum, or 0 when it is infinite. */
function shiftOf(mx: number): number {
  return mx === Number.POSITIVE_INFINITY || mx === Number.NEGATIVE_INFINITY ? 0 : mx;
}

/** lse_i(Mr + u[:, None]) for every column j, into out[o..o + m), walking Mr row by row. */
function logSumExpCols(
  Mr: Float64Array,
  u: Float64Array,
  n: number,
  m: number,
  out: Float64Array,
  o: number,
  acc: Float64Array,
): void {
  acc.fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    const ui = u[i]!;
    const row = i * m;
    for (let j = 0; j < m; j++) {
      const x = Mr[row + j]! + ui;
      if (x > acc[j]!) acc[j] = x;
    }
  }
  for (let j = 0; j < m; j++) out[o + j] = shiftOf(acc[j]!);
  acc.fill(0);
  for (let i = 0; i < n; i++) {
    const ui = u[i]!;
    const row = i * m;
    for (let j = 0; j < m; j++) acc[j] = acc[j]! + exp(Mr[row + j]! + ui - out[o + j]!);
  }
  for (let j = 0; j < m; j++) out[o + j] = Math.log(acc[j]!) + out[o + j]!;
}

/** lse_j(Mr[i, :] + v) of row i. */
function logSumExpRow(Mr: Float64Array, i: number, v: Float64Array, m: number): number {
  const row = i * m;
  let mx = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < m; j++) {
    const x = Mr[row + j]! + v[j]!;
    if (x > mx) mx = x;
  }
  mx = shiftOf(mx);
  let s = 0;
  for (let j = 0; j < m; j++) s += exp(Mr[row + j]! + v[j]! - mx);
  return Math.log(s) + mx;
}

/** One transport problem: Mr and the log-weights, and what the forward pass keeps. */
interface Problem {
  readonly n: number;
  readonly m: number;
  readonly iters: number;
  readonly Mr: Float64Array;
  readonly la: Float64Array;
  readonly lb: Float64Array;
  /** lse_i(Mr + u^(t-1)) of iteration t at [(t - 1) m ..]. */
  readonly lseCol: Float64Array;
  /** lse_j(Mr + v^t) of iteration t at [(t - 1) n ..]. */
  readonly lseRow: Float64Array;
  readonly u: Float64Array;
  readonly v: Float64Array;
  /** Scratch of m values. */
  readonly acc: Float64Array;
}

/** u^t (t >= 1) or the zeros of u^0, into p.u. */
function loadU(p: Problem, t: number): void {
  const { n, la, lseRow, u } = p;
  if (t === 0) u.fill(0);
  else for (let i = 0; i < n; i++) u[i] = la[i]! - lseRow[(t - 1) * n + i]!;
}

/** v^t (t >= 1), into p.v. */
function loadV(p: Problem, t: number): void {
  const { m, lb, lseCol, v } = p;
  for (let j = 0; j < m; j++) v[j] = lb[j]! - lseCol[(t - 1) * m + j]!;
}

/** The iterations; leaves u^N, v^N in p.u, p.v. */
function iterate(p: Problem): void {
  const { n, m, iters, Mr, lseCol, lseRow, u, v } = p;
  u.fill(0);
  for (let t = 1; t <= iters; t++) {
    logSumExpCols(Mr, u, n, m, lseCol, (t - 1) * m, p.acc);
    loadV(p, t);
    for (let i = 0; i < n; i++) lseRow[(t - 1) * n + i] = logSumExpRow(Mr, i, v, m);
    loadU(p, t);
  }
}

export const sinkhornLoss = defineLoss({
  name: OP,
  aliases: [],
  summary: 'Entropic optimal transport cost <T, M> after a fixed number of log-domain Sinkhorn iterations.',
  formula:
    'Mr = -M/reg, u = v = 0; numItermax times: v = log b - logsumexp_i(Mr + u), u = log a - logsumexp_j(Mr + v); T = exp(Mr + u + v); L = sum(M * T)',
  latex:
    '\\ell = \\sum_{ij} M_{ij} T_{ij},\\quad T = e^{-M/\\varepsilon + u \\mathbf{1}^\\top + \\mathbf{1} v^\\top},\\quad v \\leftarrow \\log b - \\operatorname{lse}_i(-M/\\varepsilon + u),\\ u \\leftarrow \\log a - \\operatorname{lse}_j(-M/\\varepsilon + v)',
  reference: 'POT ot.sinkhorn2(a, b, M, reg, method="sinkhorn_log", numItermax, stopThr=0) (POT 0.8.2; Cuturi 2013)',
  args: [
    predictionArg('M', 'Cost matrix (n, m), n, m >= 1 (any real costs).'),
    marginalArg('a', 'Source weights (n,), finite and >= 0; default uniform 1/n.'),
    marginalArg(
      'b',
      'Target weights (m,), or (m, k) for k problems solved separately; finite and >= 0; default uniform 1/m.',
    ),
  ],
  options,
  example: {
    M: [
      [0.0, 1.0, 4.0],
      [1.0, 0.0, 1.0],
    ],
    a: [0.5, 0.5],
    b: [0.25, 0.5, 0.25],
    reg: 0.5,
    numItermax: 20,
  },
  check: (args, opts): CheckResult<Plan> => {
    const M = args.M;
    const a = args.a;
    const b = args.b;
    if (M.shape.length !== 2 || M.data.length === 0) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/M',
        `${OP}: M must be a non-empty (n, m) cost matrix, got ${showShape(M.shape)}`,
      );
    }
    const n = M.shape[0]!;
    const m = M.shape[1]!;
    if (a !== undefined && (a.shape.length !== 1 || a.shape[0] !== n)) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/a',
        `${OP}: a must be (${n},) for M ${showShape(M.shape)}, got ${showShape(a.shape)}`,
      );
    }
    if (b !== undefined && !((b.shape.length === 1 || b.shape.length === 2) && b.shape[0] === m)) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/b',
        `${OP}: b must be (${m},) or (${m}, k) for M ${showShape(M.shape)}, got ${showShape(b.shape)}`,
      );
    }
    const bad = (a === undefined ? null : badWeight('a', a)) ?? (b === undefined ? null : badWeight('b', b));
    if (bad !== null) return bad;
    const multi = b !== undefined && b.shape.length === 2;
    const k = multi ? b.shape[1]! : 1;
    return { ok: true, lossShape: opts.reduction === 'none' && multi ? [k] : [], plan: { n, m, k } };
  },
  work: (_args, opts, { n, m, k }) => ({
    steps: k * opts.numItermax * (STEPS_PER_CELL * n * m + STEPS_PER_STORED * (n + m)),
    path: '/numItermax',
  }),
  compute: (args, opts, plan, grad, alloc) => {
    const Md = args.M.data;
    const a = args.a;
    const b = args.b;
    const { n, m, k } = plan;
    const { reg, numItermax: iters } = opts;
    const none = opts.reduction === 'none';
    const out = none ? alloc(k) : null;
    const wantM = grad.wrt.includes('M');
    const wantA = grad.wrt.includes('a');
    const wantB = grad.wrt.includes('b');
    const backward = wantM || wantA || wantB;
    const G = upstream(opts.reduction, grad.g, k);

    const Mr = new Float64Array(n * m);
    for (let q = 0; q < n * m; q++) Mr[q] = -Md[q]! / reg;
    const la = new Float64Array(n);
    for (let i = 0; i < n; i++) la[i] = Math.log(a === undefined ? 1 / n : a.data[i]!);
    const p: Problem = {
      n,
      m,
      iters,
      Mr,
      la,
      lb: new Float64Array(m),
      lseCol: new Float64Array(iters * m),
      lseRow: new Float64Array(iters * n),
      u: new Float64Array(n),
      v: new Float64Array(m),
      acc: new Float64Array(m),
    };
    const gMr = backward ? new Float64Array(n * m) : null;
    const gM = wantM ? new Float64Array(n * m) : null;
    const gla = wantA ? new Float64Array(n) : null;
    const gb = wantB ? alloc(m * k) : null;
    const ubar = new Float64Array(n);
    const vbar = new Float64Array(m);
    const glb = new Float64Array(m);

    let total = 0;
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < m; j++) p.lb[j] = Math.log(b === undefined ? 1 / m : b.data[j * k + c]!);
      iterate(p);
      const { u, v } = p;
      let l = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          const q = i * m + j;
          l += Md[q]! * Math.exp(Mr[q]! + u[i]! + v[j]!);
        }
      }
      total += l;
      if (out !== null) out[c] = l;
      if (gMr === null) continue;

      // the plan: X̄ = G M ⊙ T into ū, v̄, M̄r; G T into M̄
      const Gc = none ? (grad.gamma === null ? 1 : grad.gamma[c]!) : G;
      ubar.fill(0);
      vbar.fill(0);
      glb.fill(0);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          const q = i * m + j;
          const T = Math.exp(Mr[q]! + u[i]! + v[j]!);
          const xbar = Gc * Md[q]! * T;
          if (gM !== null) gM[q] = gM[q]! + Gc * T;
          gMr[q] = gMr[q]! + xbar;
          ubar[i] = ubar[i]! + xbar;
          vbar[j] = vbar[j]! + xbar;
        }
      }
      for (let t = iters; t >= 1; t--) {
        // u^t = log a - lse_j(Mr + v^t)
        loadV(p, t);
        for (let i = 0; i < n; i++) {
          const ub = ubar[i]!;
          if (gla !== null) gla[i] = gla[i]! + ub;
          const lse = p.lseRow[(t - 1) * n + i]!;
          for (let j = 0; j < m; j++) {
            const q = i * m + j;
            const g = -ub * exp(Mr[q]! + v[j]! - lse);
            gMr[q] = gMr[q]! + g;
            vbar[j] = vbar[j]! + g;
          }
        }
        // v^t = log b - lse_i(Mr + u^(t-1))
        loadU(p, t - 1);
        ubar.fill(0);
        for (let j = 0; j < m; j++) glb[j] = glb[j]! + vbar[j]!;
        const lseC = (t - 1) * m;
        for (let i = 0; i < n; i++) {
          let ub = 0;
          for (let j = 0; j < m; j++) {
            const q = i * m + j;
            const g = -vbar[j]! * Math.exp(Mr[q]! + u[i]! - p.lseCol[lseC + j]!);
            gMr[q] = gMr[q]! + g;
            ub += g;
          }
          ubar[i] = ub;
        }
        vbar.fill(0);
      }
      if (gb !== null) {
        for (let j = 0; j < m; j++) {
          const bj = b === undefined ? 1 / m : b.data[j * k + c]!;
          gb[j * k + c] = glb[j]! / bj;
        }
      }
    }

    const grads: Record<string, FloatArray> = {};
    if (gM !== null && gMr !== null) {
      const g = alloc(n * m);
      for (let q = 0; q < n * m; q++) g[q] = gM[q]! + -(gMr[q]! / reg);
      grads.M = g;
    }
    if (gla !== null && a !== undefined) {
      const g = alloc(n);
      for (let i = 0; i < n; i++) g[i] = gla[i]! / a.data[i]!;
      grads.a = g;
    }
    if (gb !== null) grads.b = gb;
    return { loss: out ?? reduced(opts.reduction, total, k), grads };
  },
});
