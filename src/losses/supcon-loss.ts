// supcon_loss, SupConLoss of HobbitLong/SupContrast (Khosla et al. 2020, arXiv:2004.11362),
// forward(features, labels=None, mask=None), with the reference's arithmetic kept:
//
//   contrast rows: the views stacked view-major, row v·bsz + i = features[i, v]
//   anchors: every contrast row ("all") or the first bsz, view 0 ("one")
//   l_rq = a_r·c_q / τ - max_q (a_r·c_q / τ)           (the max includes self, detached)
//   log_prob_rq = l_rq - log Σ_{q≠r} exp(l_rq)
//   m_rq = mask[r mod bsz, q mod bsz] · [q ≠ r]        (mask: eye, labels equal, or given)
//   ℓ_r = -(τ / τ_b) Σ_q m_rq log_prob_rq / P_r,  P_r = Σ_q m_rq (1 when below 1e-6)
//
// Features are not normalized (the reference's training code does it before the loss). Quirks
// kept: an anchor whose self-similarity beats every other by ~745 temperatures underflows the
// others (log 0) and is NaN, and so is a single anchor (no other row at all).
//
// Backward, as autograd runs it, per anchor with upstream factor d = G_r · (-(τ/τ_b)):
//   Ñ = d / P',  P̃ = -d N / P'² where P_r >= 1e-6 (0 where the where() picked 1)
//   ∂m_rq = Ñ log_prob_rq + P̃,  ∂log_prob_rq = Ñ m_rq
//   ∂l_rq = ∂log_prob_rq - [q ≠ r] exp(l_rq) Σ_q' ∂log_prob_rq' / S_r
//   ∂a_r += Σ_q ∂l_rq c_q / τ,  ∂c_q += ∂l_rq a_r / τ,  ∂mask[r mod bsz, q mod bsz] += [q ≠ r] ∂m_rq
// Rows of the similarity matrix are built one anchor at a time: O(V·bsz) memory, not its square.

import { z } from 'zod';
import { reduced, upstream } from '../numeric/reduce.js';
import { numel, showShape } from '../numeric/shape.js';
import { rowMax } from '../numeric/stable.js';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type ArgSpec, type CheckResult, defineLoss } from '../registry/types.js';
import { predictionArg } from './args.js';
import { refuse } from './check.js';

const OP = 'supcon_loss';

const options = z.object({
  temperature: z
    .number()
    .gt(0, 'supcon_loss: temperature must be > 0')
    .default(0.07)
    .describe('Temperature dividing the dot products (> 0).'),
  contrast_mode: z
    .enum(['all', 'one'])
    .default('all')
    .describe('"all": every view of every sample is an anchor; "one": only view 0 of each sample.'),
  base_temperature: z
    .number()
    .gt(0, 'supcon_loss: base_temperature must be > 0')
    .default(0.07)
    .describe('The loss is scaled by temperature / base_temperature (> 0).'),
  reduction: reductionOption(),
});

interface Plan {
  readonly bsz: number;
  /** Views per sample. */
  readonly V: number;
  /** Feature size (the trailing dims flattened). */
  readonly D: number;
  /** Anchors: V·bsz ("all") or bsz ("one"). */
  readonly A: number;
}

/** Work units per (anchor, contrast) pair and feature (the dot product and its backward), and per pair. */
const STEPS_PER_FEATURE = 2;
const STEPS_PER_PAIR = 4;

/** SupContrast's threshold below which an anchor's positive count is replaced by 1. */
const FEW_POSITIVES = 1e-6;

const labelsArg: ArgSpec<'labels', 'int', false> = {
  name: 'labels',
  kind: 'int',
  required: false,
  differentiable: false,
  gradByDefault: false,
  description: 'Class of each sample (bsz,): samples with equal labels are positives. Not with mask.',
};

const maskArg: ArgSpec<'mask', 'float', false> = {
  name: 'mask',
  kind: 'float',
  required: false,
  differentiable: true,
  gradByDefault: false,
  description:
    'Positive pairs (bsz, bsz): mask[i, j] weighs sample j as a positive of anchor i (may be asymmetric or weighted). Not with labels.',
};

export const supconLoss = defineLoss({
  name: OP,
  aliases: [],
  summary: 'Supervised contrastive loss: each view must pick out the views of its own class among the batch.',
  formula:
    'L_r = -(temperature / base_temperature) * sum_q m[r,q] log_prob[r,q] / sum_q m[r,q], log_prob[r,q] = l[r,q] - log sum_{q != r} exp(l[r,q]), l = anchor . contrast^T / temperature - row max',
  latex:
    '\\ell_r = -\\frac{\\tau}{\\tau_b} \\frac{1}{|P(r)|} \\sum_{p \\in P(r)} \\log \\frac{e^{z_r \\cdot z_p / \\tau}}{\\sum_{q \\ne r} e^{z_r \\cdot z_q / \\tau}}',
  reference: 'SupConLoss of HobbitLong/SupContrast (Khosla et al. 2020, arXiv:2004.11362)',
  args: [
    predictionArg(
      'features',
      'Features (bsz, n_views, ...), flattened to (bsz, n_views, D); not normalized by the loss.',
    ),
    labelsArg,
    maskArg,
  ],
  options,
  example: {
    features: [
      [
        [1.0, 0.0],
        [0.8, 0.6],
      ],
      [
        [0.0, 1.0],
        [0.6, 0.8],
      ],
      [
        [-1.0, 0.0],
        [-0.8, -0.6],
      ],
    ],
    labels: [0, 1, 0],
    temperature: 0.5,
  },
  check: (args, opts): CheckResult<Plan> => {
    const f = args.features;
    const labels = args.labels;
    const mask = args.mask;
    if (f.shape.length < 3) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/features',
        `${OP}: features must be (bsz, n_views, ...) with at least 3 dimensions, got ${showShape(f.shape)}`,
      );
    }
    const bsz = f.shape[0]!;
    const V = f.shape[1]!;
    if (bsz === 0 || V === 0) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/features',
        `${OP}: features ${showShape(f.shape)} must hold at least one sample and one view`,
      );
    }
    if (labels !== undefined && mask !== undefined) {
      return refuse('LOSSD_SHAPE_MISMATCH', '/mask', `${OP}: cannot define both labels and mask`);
    }
    if (labels !== undefined && (labels.shape.length !== 1 || labels.shape[0] !== bsz)) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/labels',
        `${OP}: labels must have shape [${bsz}] (one per sample), got ${showShape(labels.shape)}`,
      );
    }
    if (mask !== undefined && (mask.shape.length !== 2 || mask.shape[0] !== bsz || mask.shape[1] !== bsz)) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/mask',
        `${OP}: mask must have shape [${bsz}, ${bsz}], got ${showShape(mask.shape)}`,
      );
    }
    const D = numel(f.shape.slice(2));
    const A = opts.contrast_mode === 'all' ? V * bsz : bsz;
    const lossShape = opts.reduction !== 'none' ? [] : opts.contrast_mode === 'all' ? [bsz, V] : [bsz];
    return { ok: true, lossShape, plan: { bsz, V, D, A } };
  },
  work: (_args, _opts, { bsz, V, D, A }) => ({
    steps: A * V * bsz * (STEPS_PER_PAIR + STEPS_PER_FEATURE * D),
    path: '/features',
  }),
  compute: (args, opts, plan, grad, alloc) => {
    const fs = args.features.data;
    const labels = args.labels;
    const mask = args.mask;
    const { bsz, V, D, A } = plan;
    const K = V * bsz;
    const tau = opts.temperature;
    const coef = -(tau / opts.base_temperature);
    const none = opts.reduction === 'none';
    const all = opts.contrast_mode === 'all';
    const out = none ? alloc(A) : null;
    const G = upstream(opts.reduction, grad.g, A);

    // contrast rows, view-major, in float64
    const C = new Float64Array(K * D);
    for (let q = 0; q < K; q++) {
      const src = ((q % bsz) * V + Math.floor(q / bsz)) * D;
      for (let e = 0; e < D; e++) C[q * D + e] = fs[src + e]!;
    }
    // the (bsz, bsz) mask of positives before tiling
    const base = new Float64Array(bsz * bsz);
    for (let i = 0; i < bsz; i++) {
      for (let j = 0; j < bsz; j++) {
        base[i * bsz + j] =
          mask !== undefined
            ? mask.data[i * bsz + j]!
            : labels !== undefined
              ? labels.data[i] === labels.data[j]
                ? 1
                : 0
              : i === j
                ? 1
                : 0;
      }
    }
    const wantF = grad.wrt.includes('features');
    const wantMask = grad.wrt.includes('mask');
    const gC = wantF ? new Float64Array(K * D) : null;
    const gBase = wantMask ? new Float64Array(bsz * bsz) : null;

    const s = new Float64Array(K);
    const lp = new Float64Array(K);
    const el = new Float64Array(K);
    let total = 0;
    for (let r = 0; r < A; r++) {
      const ar = r * D;
      for (let q = 0; q < K; q++) {
        let dot = 0;
        const cq = q * D;
        for (let e = 0; e < D; e++) dot += C[ar + e]! * C[cq + e]!;
        s[q] = dot / tau;
      }
      const mx = rowMax(s, 0, 1, K);
      let S = 0;
      for (let q = 0; q < K; q++) {
        const l = s[q]! - mx;
        s[q] = l;
        const e = Math.exp(l) * (q === r ? 0 : 1);
        el[q] = e;
        S += e;
      }
      const logS = Math.log(S);
      const mrow = (r % bsz) * bsz;
      let N = 0;
      let P = 0;
      for (let q = 0; q < K; q++) {
        const lpq = s[q]! - logS;
        lp[q] = lpq;
        const mq = base[mrow + (q % bsz)]! * (q === r ? 0 : 1);
        P += mq;
        N += mq * lpq;
      }
      const Pp = P < FEW_POSITIVES ? 1 : P;
      const mlpp = N / Pp;
      const l = coef * mlpp;
      total += l;
      // loss.view(anchor_count, bsz): anchor r = v·bsz + i is sample i's view v, at [i, v]
      const at = all ? (r % bsz) * V + Math.floor(r / bsz) : r;
      if (out !== null) out[at] = l;
      if (gC === null && gBase === null) continue;

      const Gr = none ? (grad.gamma === null ? 1 : grad.gamma[at]!) : G;
      const d = Gr * coef;
      const dN = d / Pp;
      const dP = P < FEW_POSITIVES ? 0 : (-d * N) / (Pp * Pp);
      let dLogS = 0;
      for (let q = 0; q < K; q++) {
        const mq = base[mrow + (q % bsz)]! * (q === r ? 0 : 1);
        dLogS -= dN * mq;
        if (gBase !== null) {
          const j = mrow + (q % bsz);
          gBase[j] = gBase[j]! + (dN * lp[q]! + dP) * (q === r ? 0 : 1);
        }
      }
      if (gC === null) continue;
      const dS = dLogS / S;
      for (let q = 0; q < K; q++) {
        const mq = base[mrow + (q % bsz)]! * (q === r ? 0 : 1);
        const dl = dN * mq + dS * el[q]!;
        const ds = dl / tau;
        const cq = q * D;
        for (let e = 0; e < D; e++) {
          gC[ar + e] = gC[ar + e]! + ds * C[cq + e]!;
          gC[cq + e] = gC[cq + e]! + ds * C[ar + e]!;
        }
      }
    }

    const grads: Record<string, FloatArray> = {};
    if (gC !== null) {
      const g = alloc(K * D);
      for (let q = 0; q < K; q++) {
        const dst = ((q % bsz) * V + Math.floor(q / bsz)) * D;
        for (let e = 0; e < D; e++) g[dst + e] = gC[q * D + e]!;
      }
      grads.features = g;
    }
    if (gBase !== null) {
      const g = alloc(bsz * bsz);
      g.set(gBase);
      grads.mask = g;
    }
    return { loss: out ?? reduced(opts.reduction, total, A), grads };
  },
});
