// nt_xent_loss, NT-Xent (normalized temperature-scaled cross-entropy) of SimCLR
// (Chen et al. 2020, arXiv:2002.05709).
//
//   z_i = x_i / max(‖x_i‖, 1e-12)       (F.normalize)
//   s_ik = z_i·z_k / τ  (k ≠ i)          pos(i) = (i + N) mod 2N
//   L_i = -s_i,pos(i) + log Σ_{k≠i} exp(s_ik)
//
// Each anchor must pick its other view out of the 2N - 2 other samples of the batch: a
// softmax classification over cosine similarities, sharpened by the temperature τ.
// The diagonal is left out (torch's -inf mask: exactly zero gradient there).
//
// Backward, as autograd runs it (G_i the upstream factor of anchor i):
//   ∂/∂s_ik = G_i (softmax_ik - [k = pos(i)]);   P = z zᵀ, so ∂/∂z_i = Σ_k (∂P_ik + ∂P_ki) z_k
//   normalize: ∂/∂x_i = ∂z_i / d_i + [‖x_i‖ >= 1e-12] x_i / ‖x_i‖ · (-Σ_d ∂z_id z_id / d_i)
// where d_i = max(‖x_i‖, 1e-12) and the norm term is 0 for a zero row, so a zero row's
// gradient is ∂z_i / 1e-12, as F.normalize gives.
// Rows of the similarity matrix are built one anchor at a time: O(2N) memory, not O(4N²).

import { z } from 'zod';
import { reduced, upstream } from '../numeric/reduce.js';
import { showShape } from '../numeric/shape.js';
import { logSoftmaxStrided } from '../numeric/stable.js';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { predictionArg } from './args.js';
import { refuse } from './check.js';

const options = z.object({
  temperature: z
    .number()
    .gt(0, 'temperature must be > 0')
    .default(0.5)
    .describe('Temperature dividing the cosine similarities (> 0).'),
  reduction: reductionOption(),
});

interface Plan {
  /** Rows, 2N. */
  readonly R: number;
  /** Embedding dimension. */
  readonly D: number;
}

/** F.normalize's clamp on the row norm. */
const NORM_EPS = 1e-12;

export const ntXentLoss = defineLoss({
  name: 'nt_xent_loss',
  aliases: [],
  summary: 'SimCLR contrastive loss: each row must find its other view among the batch.',
  formula:
    'L_i = -s[i, pos] + log sum_{k != i} exp(s[i, k]), s = z z^T / temperature, z = rows normalized, pos = (i + N) mod 2N',
  latex:
    '\\ell_i = -s_{i,p(i)} + \\log\\sum_{k \\ne i} e^{s_{ik}},\\quad s_{ik} = \\frac{z_i^\\top z_k}{\\tau},\\quad z_i = \\frac{x_i}{\\max(\\lVert x_i \\rVert, 10^{-12})},\\quad p(i) = (i + N) \\bmod 2N',
  reference: 'NT-Xent of SimCLR, Chen et al. 2020, arXiv:2002.05709 (mean over all 2N anchors)',
  args: [predictionArg('input', 'Embeddings (2N, D), N >= 1; rows i and i + N are the two views of one sample.')],
  options,
  // N = 2 pairs: with one pair there is no negative, the loss and its gradient are 0
  example: {
    input: [
      [0.3, 0.7, 0.2],
      [0.6, 0.4, 0.9],
      [0.5, 0.1, 0.8],
      [0.2, 0.9, 0.3],
    ],
  },
  check: (args, opts): CheckResult<Plan> => {
    const x = args.input;
    const message = `input must be (2N, D) with N >= 1 (rows i and i + N are the two views), got ${showShape(x.shape)}`;
    if (x.shape.length !== 2) {
      return refuse('LOSSD_SHAPE_MISMATCH', '/input', message);
    }
    const R = x.shape[0]!;
    if (R === 0 || R % 2 !== 0) {
      return refuse('LOSSD_INVALID_VALUE', '/input', message);
    }
    return { ok: true, lossShape: opts.reduction === 'none' ? [R] : [], plan: { R, D: x.shape[1]! } };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const xs = args.input.data;
    const { R, D } = plan;
    const half = R / 2;
    const tau = opts.temperature;
    const none = opts.reduction === 'none';
    const out = none ? alloc(R) : null;
    const want = grad.wrt.includes('input');
    const G = none ? 1 : upstream(opts.reduction, grad.g, R);
    const Gamma = none ? grad.gamma : null;

    // F.normalize
    const norm = new Float64Array(R);
    const den = new Float64Array(R);
    const zs = new Float64Array(R * D);
    for (let i = 0; i < R; i++) {
      let ss = 0;
      for (let d = 0; d < D; d++) {
        const v = xs[i * D + d]!;
        ss += v * v;
      }
      const nrm = Math.sqrt(ss);
      const di = Math.max(nrm, NORM_EPS);
      norm[i] = nrm;
      den[i] = di;
      for (let d = 0; d < D; d++) zs[i * D + d] = xs[i * D + d]! / di;
    }

    const srow = new Float64Array(R);
    const lprow = new Float64Array(R);
    const gz = want ? new Float64Array(R * D) : null;
    let sum = 0;
    for (let i = 0; i < R; i++) {
      const pos = (i + half) % R;
      const oi = i * D;
      for (let k = 0; k < R; k++) {
        if (k === i) {
          srow[k] = Number.NEGATIVE_INFINITY;
          continue;
        }
        const ok = k * D;
        let dot = 0;
        for (let d = 0; d < D; d++) dot += zs[oi + d]! * zs[ok + d]!;
        srow[k] = dot / tau;
      }
      logSoftmaxStrided(srow, lprow, 0, 1, R);
      const l = -lprow[pos]!;
      sum += l;
      if (out !== null) out[i] = l;
      if (gz === null) continue;

      const Gi = Gamma === null ? G : Gamma[i]!;
      for (let k = 0; k < R; k++) {
        if (k === i) continue; // masked diagonal: exactly zero
        const gS = (k === pos ? -Gi : 0) - Math.exp(lprow[k]!) * -Gi;
        const gP = gS / tau;
        const ok = k * D;
        for (let d = 0; d < D; d++) {
          gz[oi + d] = gz[oi + d]! + gP * zs[ok + d]!;
          gz[ok + d] = gz[ok + d]! + gP * zs[oi + d]!;
        }
      }
    }

    const grads: Record<string, FloatArray> = {};
    if (gz !== null) {
      const gx = alloc(R * D);
      for (let i = 0; i < R; i++) {
        const oi = i * D;
        const di = den[i]!;
        const nrm = norm[i]!;
        let gDen = 0;
        for (let d = 0; d < D; d++) gDen += -gz[oi + d]! * (zs[oi + d]! / di);
        // clamp_min passes where norm >= eps; the norm's own backward is masked where norm == 0
        const gNorm = nrm >= NORM_EPS ? gDen : 0;
        const scale = nrm === 0 ? 0 : gNorm / nrm;
        for (let d = 0; d < D; d++) {
          gx[oi + d] = gz[oi + d]! / di + xs[oi + d]! * scale;
        }
      }
      grads.input = gx;
    }
    return { loss: out ?? reduced(opts.reduction, sum, R), grads };
  },
});
