// cosine_embedding_loss, torch.nn.functional.cosine_embedding_loss.
// LOSSES.md §7 "cosine_embedding_loss".
//
//   P = Σ x1·x2     A = Σ x1² + EPS32     B = Σ x2² + EPS32     den = sqrt(A B)     cos = P / den
//   L = 1 - cos  (y = 1),   max(cos - margin, 0)  (y = -1),   0  (any other y)
//
// EPS32 (float32 1e-12 widened) is what ATen adds to each squared magnitude; it keeps a zero
// vector at cos = 0 with a large but finite gradient. The backward follows autograd's chain
// through div, sqrt and the two products (dP = F/den, dden = -F cos/den, dA = dden/(2 den) B),
// which is F (x2/den - cos x1/A) for x1. The upstream factor F is a *selection* (ATen's `where`
// and `clamp_min` backward): -G for y = 1, G for y = -1 with cos - margin >= 0 (passes at the
// kink), else exactly 0. A NaN cosine still makes both gradient rows NaN, because F multiplies
// NaN partials. Broadcasting enters only the dot product: each magnitude uses its own elements,
// and a broadcast row's magnitude gradient is summed over the pair rows before x applies.

import { z } from 'zod';
import { reduced, upstream } from '../numeric/reduce.js';
import { broadcastShapes, numel, showShape } from '../numeric/shape.js';
import type { FloatArray } from '../numeric/tensor.js';
import { numberOption, reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { constantArg, predictionArg } from './args.js';
import { refuse } from './check.js';

const OP = 'cosine_embedding_loss';

/** float32 1e-12 widened to double (LOSSES.md §11). */
const EPS32 = Math.fround(1e-12);

const options = z.object({
  reduction: reductionOption(),
  margin: numberOption(0, 'Similarity below which a dissimilar pair (y = -1) costs nothing; any real.'),
});

interface Plan {
  /** Rows of input1, input2 and of their broadcast (1 for 1-D inputs). */
  readonly N1: number;
  readonly N2: number;
  readonly Np: number;
  /** Vector lengths of input1, input2 and of their broadcast. */
  readonly D1: number;
  readonly D2: number;
  readonly D: number;
  /** Number of loss elements (broadcast of the cosines with target) and of target elements. */
  readonly nOut: number;
  readonly nTarget: number;
}

export const cosineEmbeddingLoss = defineLoss({
  name: OP,
  aliases: [],
  summary: 'Cosine similarity loss for pairs.',
  formula: 'L = 1 - cos(x1, x2) if y = 1;  max(0, cos(x1, x2) - margin) if y = -1',
  latex:
    '\\ell = \\begin{cases} 1 - \\cos(x_1, x_2) & y = 1 \\\\ \\max(0, \\cos(x_1, x_2) - \\text{margin}) & y = -1 \\end{cases}',
  reference: 'torch.nn.functional.cosine_embedding_loss (PyTorch 1.13)',
  args: [
    predictionArg('input1', 'First vectors: (D) with a 0-d target, (N, D) with a 1-D target.'),
    predictionArg('input2', 'Second vectors, same rank as input1, broadcasting with it.'),
    constantArg('target', 'Labels: 1 (similar) or -1 (dissimilar); 0-d or (N). Other values cost 0.'),
  ],
  options,
  example: {
    input1: [
      [1, 0.5, -0.3],
      [0.2, 0.8, 0.4],
    ],
    input2: [
      [0.9, 0.4, 0.1],
      [-0.5, 0.3, 0.7],
    ],
    target: [1, -1],
  },
  check: (args, opts): CheckResult<Plan> => {
    const x1 = args.input1;
    const x2 = args.input2;
    const t = args.target;
    const tr = t.shape.length;
    if (tr > 1) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/target',
        `${OP}: 0D or 1D target tensor expected, got target shape ${showShape(t.shape)}`,
      );
    }
    const rank = tr === 1 ? 2 : 1;
    const both = `input1 ${showShape(x1.shape)} and input2 ${showShape(x2.shape)}`;
    if (x1.shape.length !== rank) {
      return refuse('LOSSD_SHAPE_MISMATCH', '/input1', `${OP}: a ${tr}-D target expects ${rank}-D inputs, got ${both}`);
    }
    if (x2.shape.length !== rank) {
      return refuse('LOSSD_SHAPE_MISMATCH', '/input2', `${OP}: a ${tr}-D target expects ${rank}-D inputs, got ${both}`);
    }
    const pair = broadcastShapes(x1.shape, x2.shape);
    if (pair === null) return refuse('LOSSD_SHAPE_MISMATCH', '/input2', `${OP}: ${both} do not broadcast`);
    const cosShape = rank === 2 ? [pair[0]!] : [];
    const outShape = broadcastShapes(cosShape, t.shape);
    if (outShape === null) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/target',
        `${OP}: target shape ${showShape(t.shape)} does not broadcast with the ${showShape(cosShape)} cosines of ${both}`,
      );
    }
    const rows = (s: readonly number[]) => (rank === 2 ? s[0]! : 1);
    return {
      ok: true,
      lossShape: opts.reduction === 'none' ? outShape : [],
      plan: {
        N1: rows(x1.shape),
        N2: rows(x2.shape),
        Np: rows(pair),
        D1: x1.shape[rank - 1]!,
        D2: x2.shape[rank - 1]!,
        D: pair[rank - 1]!,
        nOut: numel(outShape),
        nTarget: numel(t.shape),
      },
    };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const x1 = args.input1.data;
    const x2 = args.input2.data;
    const t = args.target.data;
    const { N1, N2, Np, D1, D2, D, nOut, nTarget } = plan;
    const s1 = D1 === 1 ? 0 : 1;
    const s2 = D2 === 1 ? 0 : 1;

    // One pass per pair row: P, A, B and the cosine.
    const A = new Float64Array(Np);
    const B = new Float64Array(Np);
    const den = new Float64Array(Np);
    const cos = new Float64Array(Np);
    for (let n = 0; n < Np; n++) {
      const o1 = (N1 === 1 ? 0 : n) * D1;
      const o2 = (N2 === 1 ? 0 : n) * D2;
      let P = 0;
      for (let d = 0; d < D; d++) P += x1[o1 + d * s1]! * x2[o2 + d * s2]!;
      let a = 0;
      for (let d = 0; d < D1; d++) a += x1[o1 + d]! * x1[o1 + d]!;
      let b = 0;
      for (let d = 0; d < D2; d++) b += x2[o2 + d]! * x2[o2 + d]!;
      a += EPS32;
      b += EPS32;
      const dn = Math.sqrt(a * b);
      A[n] = a;
      B[n] = b;
      den[n] = dn;
      cos[n] = P / dn;
    }

    // Loss elements: the cosines broadcast against target; F collects the upstream per row.
    const none = opts.reduction === 'none';
    const out = none ? alloc(nOut) : null;
    const wantX1 = grad.wrt.includes('input1');
    const wantX2 = grad.wrt.includes('input2');
    const F = wantX1 || wantX2 ? new Float64Array(Np) : null;
    const G = none ? 1 : upstream(opts.reduction, grad.g, nOut);
    const gamma = none ? grad.gamma : null;
    const { margin } = opts;
    let total = 0;
    for (let o = 0; o < nOut; o++) {
      const c = Np === 1 ? 0 : o;
      const y = t[nTarget === 1 ? 0 : o]!;
      const cv = cos[c]!;
      let l = 0;
      if (y === 1) l = 1 - cv;
      else if (y === -1) {
        const v = cv - margin;
        l = v < 0 ? 0 : v; // clamp keeps NaN
      }
      total += l;
      if (out !== null) out[o] = l;
      if (F !== null) {
        const Go = gamma === null ? G : gamma[o]!;
        if (y === 1) F[c] = F[c]! - Go;
        else if (y === -1 && cv - margin >= 0) F[c] = F[c]! + Go;
      }
    }

    const grads: Record<string, FloatArray> = {};
    if (F !== null) {
      const g1 = wantX1 ? new Float64Array(N1 * D1) : null;
      const g2 = wantX2 ? new Float64Array(N2 * D2) : null;
      // An input whose single row is broadcast (N1 = 1 ≠ Np; input2 alike) gets its magnitude
      // term summed where PyTorch sums it: at the product A·B, before the backward of x1·x1
      // applies x1, so (Σ gA)·2·x1, not Σ(gA·2·x1). They differ only by rounding, or when Np = 0:
      // the empty sum still meets x1, and an inf/NaN x1 gives 0·inf = NaN, as in PyTorch.
      const sum1 = g1 !== null && N1 !== Np;
      const sum2 = g2 !== null && N2 !== Np;
      let sA = 0;
      let sB = 0;
      for (let n = 0; n < Np; n++) {
        const o1 = (N1 === 1 ? 0 : n) * D1;
        const o2 = (N2 === 1 ? 0 : n) * D2;
        const f = F[n]!;
        const dn = den[n]!;
        const gP = f / dn;
        const gAB = (-f * (cos[n]! / dn)) / (2 * dn);
        if (g1 !== null) {
          for (let d = 0; d < D; d++) g1[o1 + d * s1] = g1[o1 + d * s1]! + gP * x2[o2 + d * s2]!;
          const gA = gAB * B[n]!;
          if (sum1) sA += gA;
          else for (let d = 0; d < D1; d++) g1[o1 + d] = g1[o1 + d]! + gA * 2 * x1[o1 + d]!;
        }
        if (g2 !== null) {
          for (let d = 0; d < D; d++) g2[o2 + d * s2] = g2[o2 + d * s2]! + gP * x1[o1 + d * s1]!;
          const gB = gAB * A[n]!;
          if (sum2) sB += gB;
          else for (let d = 0; d < D2; d++) g2[o2 + d] = g2[o2 + d]! + gB * 2 * x2[o2 + d]!;
        }
      }
      if (g1 !== null && sum1) for (let d = 0; d < D1; d++) g1[d] = g1[d]! + sA * 2 * x1[d]!;
      if (g2 !== null && sum2) for (let d = 0; d < D2; d++) g2[d] = g2[d]! + sB * 2 * x2[d]!;
      if (g1 !== null) {
        const r = alloc(g1.length);
        r.set(g1);
        grads.input1 = r;
      }
      if (g2 !== null) {
        const r = alloc(g2.length);
        r.set(g2);
        grads.input2 = r;
      }
    }
    return { loss: out ?? reduced(opts.reduction, total, nOut), grads };
  },
});
