// triplet_margin_loss, torch.nn.functional.triplet_margin_loss. LOSSES.md §7 "triplet_margin_loss".
//
//   d(a, b) = || a - b + eps ||_p  over the last axis      (eps on every component, not the norm)
//   L = max(margin + d(a, p) - d_neg, 0),   d_neg = d(a, n), or min(d(a, n), d(p, n)) with swap
//
// Gradients follow autograd through ATen's graph: clamp_min and min are *selections* (`where`,
// `masked_fill`), so the upstream A = G where margin + d_pos - d_neg >= 0 (passes at the kink)
// and exactly 0 elsewhere, and a swap tie hands A/2 to each distance. Every norm is then
// differentiated with ATen's norm_backward, whose p = 1, p = 2, p < 1, 1 < p < 2 and p > 2 forms
// differ in where they mask zeros (a zero component or a zero norm gets 0); the upstream always
// multiplies the local factor, so a NaN row gives 0 for p = 1 (sgn(NaN) = 0) and NaN otherwise.
// p = 0 counts non-zero components and has no gradient at all (ATen returns an undefined grad).
// Each distance's gradient is summed back to each argument's shape on its own, since the pairs
// may broadcast differently.

import { z } from 'zod';
import { upstream } from '../numeric/reduce.js';
import { broadcastShapes, expandTo, numel, showShape, sumTo } from '../numeric/shape.js';
import type { FloatArray, FloatTensor } from '../numeric/tensor.js';
import { booleanOption, numberOption, reductionOption } from '../registry/options.js';
import { type ArgSpec, type CheckResult, defineLoss } from '../registry/types.js';
import { EXAMPLE_X, EXAMPLE_X2, EXAMPLE_X3, predictionArg } from './args.js';
import { refuse } from './check.js';

const OP = 'triplet_margin_loss';

const options = z.object({
  reduction: reductionOption(),
  margin: numberOption(1, 'Margin by which the negative must be farther than the positive; any real.'),
  p: numberOption(2, 'Order of the distance norm; any real (p = 0 counts non-zero components, no gradient).'),
  eps: numberOption(1e-6, 'Added to every component of each difference before the norm.'),
  swap: booleanOption(false, 'Use min(d(anchor, negative), d(positive, negative)) as the negative distance.'),
});

interface Plan {
  /** Broadcast shapes of the pairs (a, p), (a, n), (p, n); vectors on the last axis. */
  readonly ap: readonly number[];
  readonly an: readonly number[];
  readonly pn: readonly number[] | null;
  /** Shape of the loss elements (the broadcast of the distance rows). */
  readonly out: readonly number[];
}

/** 0-d inputs are one-element vectors. */
function asVector(shape: readonly number[]): readonly number[] {
  return shape.length === 0 ? [1] : shape;
}

const f64 = (n: number): Float64Array => new Float64Array(n);

/** One pair: the differences v = a - b + eps (pair shape) and the p-norm of each row. */
interface Pair {
  readonly v: Float64Array;
  readonly norm: Float64Array;
  readonly D: number;
}

function pairDistance(a: FloatTensor, b: FloatTensor, shape: readonly number[], p: number, eps: number): Pair {
  const n = numel(shape);
  const D = shape[shape.length - 1]!;
  const rows = numel(shape.slice(0, -1));
  const av = expandTo(a.data, asVector(a.shape), shape, f64);
  const bv = expandTo(b.data, asVector(b.shape), shape, f64);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = av[i]! - bv[i]! + eps;
  const norm = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * D;
    let s = 0;
    if (p === 0) {
      for (let i = 0; i < D; i++) s += v[o + i]! === 0 ? 0 : 1;
    } else if (p === 1) {
      for (let i = 0; i < D; i++) s += Math.abs(v[o + i]!);
    } else if (p === 2) {
      for (let i = 0; i < D; i++) s += v[o + i]! * v[o + i]!;
      s = Math.sqrt(s);
    } else {
      for (let i = 0; i < D; i++) s += Math.abs(v[o + i]!) ** p;
      s = s ** (1 / p);
    }
    norm[r] = s;
  }
  return { v, norm, D };
}

function sgn(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0; // 0 for NaN, as PyTorch 1.13
}

/**
 * ATen's norm_backward for one pair, in place over the pair shape: v becomes q_row · ∂||v||/∂v,
 * `q` holding the upstream of each row (sign included).
 */
function normBackward(pair: Pair, q: Float64Array, p: number): Float64Array {
  const { v, norm, D } = pair;
  const out = new Float64Array(v.length);
  for (let r = 0; r < norm.length; r++) {
    const o = r * D;
    const g = q[r]!;
    const nr = norm[r]!;
    if (p === 1) {
      for (let i = 0; i < D; i++) out[o + i] = sgn(v[o + i]!) * g;
    } else if (p === 2) {
      for (let i = 0; i < D; i++) out[o + i] = g * (nr === 0 ? 0 : v[o + i]! / nr);
    } else if (p < 1) {
      const scale = nr ** (1 - p);
      for (let i = 0; i < D; i++) {
        const vi = v[o + i]!;
        const scaled = sgn(vi) * (vi === 0 ? 0 : Math.abs(vi) ** (p - 1));
        out[o + i] = scaled * g * scale;
      }
    } else {
      const scale = nr === 0 ? 0 : g / nr ** (p - 1);
      for (let i = 0; i < D; i++) {
        const vi = v[o + i]!;
        const scaled = p < 2 ? sgn(vi) * Math.abs(vi) ** (p - 1) : vi * Math.abs(vi) ** (p - 2);
        out[o + i] = scaled * scale;
      }
    }
  }
  return out;
}

/** Adds `sign` times the pair-shape gradient `g`, summed to `shape`, into `acc`. */
function accumulate(
  acc: Float64Array,
  g: Float64Array,
  pairShape: readonly number[],
  shape: readonly number[],
  sign: number,
) {
  const s = sumTo(g, pairShape, asVector(shape), f64);
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + sign * s[i]!;
}

function differentiableArg<N extends string>(name: N, description: string): ArgSpec<N, 'float', true> {
  return { ...predictionArg(name, description), differentiableWhen: 'p != 0' };
}

const NO_GRADIENT = `${OP} with p = 0 has no gradient (PyTorch returns none); use grad_wrt: [] for the loss`;

export const tripletMarginLoss = defineLoss({
  name: OP,
  aliases: [],
  summary: 'Triplet loss on p-norm distances.',
  formula: 'L = max(0, margin + d(a, p) - d(a, n)),  d(u, v) = ||u - v + eps||_p',
  latex:
    '\\ell = \\max\\left(0, \\text{margin} + \\lVert a - p + \\epsilon \\rVert_p - \\lVert a - n + \\epsilon \\rVert_p\\right)',
  reference: 'torch.nn.functional.triplet_margin_loss (PyTorch 1.13)',
  args: [
    differentiableArg('anchor', 'Anchor vectors on the last axis: (D), (N, D), (N, ..., D).'),
    differentiableArg('positive', 'Positive vectors, same rank as anchor, broadcasting with it.'),
    differentiableArg('negative', 'Negative vectors, same rank as anchor, broadcasting with it.'),
  ],
  options,
  example: {
    anchor: EXAMPLE_X,
    positive: EXAMPLE_X2,
    negative: EXAMPLE_X3,
  },
  check: (args, opts): CheckResult<Plan> => {
    const a = args.anchor;
    const pos = args.positive;
    const neg = args.negative;
    const ranks = `${a.shape.length}D, ${pos.shape.length}D and ${neg.shape.length}D`;
    if (pos.shape.length !== a.shape.length) {
      return refuse('LOSSD_SHAPE_MISMATCH', '/positive', `${OP}: all inputs should have the same rank, got ${ranks}`);
    }
    if (neg.shape.length !== a.shape.length) {
      return refuse('LOSSD_SHAPE_MISMATCH', '/negative', `${OP}: all inputs should have the same rank, got ${ranks}`);
    }
    const shapes = `anchor ${showShape(a.shape)}, positive ${showShape(pos.shape)}, negative ${showShape(neg.shape)}`;
    const sa = asVector(a.shape);
    const sp = asVector(pos.shape);
    const sn = asVector(neg.shape);
    const ap = broadcastShapes(sa, sp);
    if (ap === null) return refuse('LOSSD_SHAPE_MISMATCH', '/positive', `${OP}: shapes do not broadcast: ${shapes}`);
    const an = broadcastShapes(sa, sn);
    if (an === null) return refuse('LOSSD_SHAPE_MISMATCH', '/negative', `${OP}: shapes do not broadcast: ${shapes}`);
    const pn = opts.swap ? broadcastShapes(sp, sn) : null;
    if (opts.swap && pn === null) {
      return refuse('LOSSD_SHAPE_MISMATCH', '/negative', `${OP}: shapes do not broadcast: ${shapes}`);
    }
    const rowShapes = [ap.slice(0, -1), an.slice(0, -1)];
    if (pn !== null) rowShapes.push(pn.slice(0, -1));
    const out = broadcastShapes(...rowShapes);
    if (out === null) {
      return refuse('LOSSD_SHAPE_MISMATCH', '/negative', `${OP}: the distances do not broadcast: ${shapes}`);
    }
    return {
      ok: true,
      lossShape: opts.reduction === 'none' ? out : [],
      ...(opts.p === 0
        ? { notDifferentiable: { anchor: NO_GRADIENT, positive: NO_GRADIENT, negative: NO_GRADIENT } }
        : {}),
      plan: { ap, an, pn, out },
    };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const a = args.anchor;
    const pos = args.positive;
    const neg = args.negative;
    const { margin, p, eps, reduction } = opts;
    const { out } = plan;
    const nOut = numel(out);

    const dAP = pairDistance(a, pos, plan.ap, p, eps);
    const dAN = pairDistance(a, neg, plan.an, p, eps);
    const dPN = plan.pn === null ? null : pairDistance(pos, neg, plan.pn, p, eps);
    const rowsOf = (s: readonly number[]) => s.slice(0, -1);
    const dp = expandTo(dAP.norm, rowsOf(plan.ap), out, f64);
    const dn = expandTo(dAN.norm, rowsOf(plan.an), out, f64);
    const ds = dPN === null || plan.pn === null ? null : expandTo(dPN.norm, rowsOf(plan.pn), out, f64);

    const none = reduction === 'none';
    const lossOut = none ? alloc(nOut) : null;
    const want = grad.wrt.length > 0;
    const qAP = want ? new Float64Array(nOut) : null;
    const qAN = want ? new Float64Array(nOut) : null;
    const qPN = want && ds !== null ? new Float64Array(nOut) : null;
    const G = none ? 1 : upstream(reduction, grad.g, nOut);
    const gamma = none ? grad.gamma : null;
    let total = 0;
    for (let o = 0; o < nOut; o++) {
      const dno = dn[o]!;
      const dso = ds === null ? dno : ds[o]!;
      const dneg = ds === null ? dno : Math.min(dno, dso); // NaN propagates, as at::min
      const zo = margin + dp[o]! - dneg;
      const l = zo < 0 ? 0 : zo; // clamp keeps NaN
      total += l;
      if (lossOut !== null) lossOut[o] = l;
      if (qAP !== null && qAN !== null) {
        const A = zo >= 0 ? (gamma === null ? G : gamma[o]!) : 0;
        qAP[o] = A;
        if (qPN === null) {
          qAN[o] = -A;
        } else {
          // at::min backward: a tie splits the gradient, otherwise the smaller one takes it all.
          const half = dno === dso;
          qAN[o] = half ? -A / 2 : dno > dso ? 0 : -A;
          qPN[o] = half ? -A / 2 : dno < dso ? 0 : -A;
        }
      }
    }

    const grads: Record<string, FloatArray> = {};
    if (qAP !== null && qAN !== null) {
      const ga = new Float64Array(a.data.length);
      const gp = new Float64Array(pos.data.length);
      const gn = new Float64Array(neg.data.length);
      const rowsAP = sumTo(qAP, out, rowsOf(plan.ap), f64) as Float64Array;
      const gAP = normBackward(dAP, rowsAP, p);
      accumulate(ga, gAP, plan.ap, a.shape, 1);
      accumulate(gp, gAP, plan.ap, pos.shape, -1);
      const rowsAN = sumTo(qAN, out, rowsOf(plan.an), f64) as Float64Array;
      const gAN = normBackward(dAN, rowsAN, p);
      accumulate(ga, gAN, plan.an, a.shape, 1);
      accumulate(gn, gAN, plan.an, neg.shape, -1);
      if (dPN !== null && qPN !== null && plan.pn !== null) {
        const rowsPN = sumTo(qPN, out, rowsOf(plan.pn), f64) as Float64Array;
        const gPN = normBackward(dPN, rowsPN, p);
        accumulate(gp, gPN, plan.pn, pos.shape, 1);
        accumulate(gn, gPN, plan.pn, neg.shape, -1);
      }
      const emit = (name: string, g: Float64Array) => {
        if (!grad.wrt.includes(name)) return;
        const r = alloc(g.length);
        r.set(g);
        grads[name] = r;
      };
      emit('anchor', ga);
      emit('positive', gp);
      emit('negative', gn);
    }
    const loss = lossOut ?? (reduction === 'sum' ? total : total / nOut);
    return { loss, grads };
  },
});
