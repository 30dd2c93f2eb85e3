// ctc_loss (connectionist temporal classification), torch.nn.functional.ctc_loss.
// LOSSES.md §8 "ctc_loss"; Graves et al. 2006, with PyTorch 1.13's CPU kernel as the reference.
//
// Per sample b: T_b = input_lengths[b], L_b = target_lengths[b], lp = log_probs[:, b, :].
// Extended labels (S' = 2 L_b + 1 states): l'_s = blank for even s, l_{(s+1)/2} for odd s.
//
//   α_0(0) = lp[0, blank]      α_0(1) = lp[0, l'_1] (L_b > 0)      α_0(s) = -inf otherwise
//   α_t(s) = LSE(α_{t-1}(s), α_{t-1}(s-1), α_{t-1}(s-2) if l'_{s-2} != l'_s) + lp[t, l'_s]
//   nll_b  = -α_{T_b-1}(0)                               (L_b = 0)
//          = -LSE(α_{T_b-1}(S'-1), α_{T_b-1}(S'-2))       (L_b > 0)
//
//   LSE(a1, ..., an) = log Σ exp(a_k - M) + M,  M = running max (NaN never wins), M = 0 if -inf
//
//   none: nll_b (shape (N), or () unbatched)   sum: Σ_b nll_b   mean: (1/N) Σ_b nll_b / max(L_b, 1)
//   zero_infinity: nll_b = +inf → 0 (loss), and the sample's gradient is 0.
//
// Gradient (PyTorch's convention: the true derivative plus exp(lp), i.e. the gradient w.r.t. the
// logits behind a log_softmax, whatever lp is):
//
//   β_{T_b-1}(S'-1) = lp[T_b-1, blank]     β_{T_b-1}(S'-2) = lp[T_b-1, l'_{S'-2}]   (L_b > 0)
//   β_t(s) = LSE(β_{t+1}(s), β_{t+1}(s+1), β_{t+1}(s+2) if l'_{s+2} != l'_s) + lp[t, l'_s]
//   γ_t(c) = log Σ_{s: l'_s = c} exp(α_t(s) + β_t(s))   (at t = T_b-1: two assignments, blank first,
//                                                       so a last label equal to blank overwrites)
//   grad[t, b, c] = (exp(lp[t, c]) - exp(γ_t(c) + nll_b - lp[t, c])) · G_b      for t < T_b
//                 = 0                                                           for t >= T_b
//   G_b = Γ_b (none), g (sum), (g / N) / max(L_b, 1) (mean)
//
// Service departures (LOSSES.md §9): negative lengths and labels outside [0, C) are refused;
// T_b = 0 gives nll 0 (L_b = 0) or +inf, and a zero gradient.

import { z } from 'zod';
import { showShape } from '../numeric/shape.js';
import type { Alloc, FloatArray } from '../numeric/tensor.js';
import { booleanOption, integerOption, reductionOption } from '../registry/options.js';
import {
  type ArgsOf,
  type CheckResult,
  defineLoss,
  type GradRequest,
  type Issue,
  type KernelResult,
} from '../registry/types.js';
import { indexArg, predictionArg } from './args.js';
import { MAX_ISSUES, refuse } from './check.js';

const options = z.object({
  reduction: reductionOption(),
  blank: integerOption(0, 'Index of the blank label (0 <= blank < C).'),
  zero_infinity: booleanOption(false, 'Replace infinite losses (impossible alignments) and their gradients by 0.'),
});

type Options = z.output<typeof options>;

export interface CtcPlan {
  /** Longest input (log_probs.shape[0]), batch size, number of classes. */
  readonly T: number;
  readonly N: number;
  readonly C: number;
  readonly inputLengths: Int32Array;
  readonly targetLengths: Int32Array;
  /** Index in `targets.data` of the first label of each sample (labels are contiguous). */
  readonly targetOffsets: Float64Array;
  readonly maxTargetLength: number;
}

const NEG_INF = Number.NEGATIVE_INFINITY;

/** JSON Pointer of element `flat` of a tensor of `shape`, as the nested form writes it. */
function elementPath(name: string, shape: readonly number[], flat: number): string {
  const idx: number[] = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = rest % n;
    rest = Math.floor(rest / n);
  }
  return idx.length === 0 ? `/${name}` : `/${name}/${idx.join('/')}`;
}

const ARGS = [
  predictionArg('log_probs', 'Log-probabilities (T, N, C), or (T, C) for one unbatched sample.'),
  indexArg(
    'targets',
    'Labels in [0, C): padded (N, S) with S >= max(target_lengths), or concatenated (sum(target_lengths)).',
  ),
  indexArg('input_lengths', 'Length of each input, N values in [0, T].'),
  indexArg('target_lengths', 'Length of each target, N non-negative values.'),
] as const;

/** The decoded arguments, typed from ARGS. */
type LossArgs = ArgsOf<typeof ARGS>;

function check(args: LossArgs, opts: Options): CheckResult<CtcPlan> {
  const logProbs = args.log_probs;
  const targets = args.targets;
  const inputLengths = args.input_lengths;
  const targetLengths = args.target_lengths;

  // log_probs: (T, N, C) or (T, C); T >= 1.
  const rank = logProbs.shape.length;
  if (rank !== 2 && rank !== 3) {
    return refuse('LOSSD_SHAPE_MISMATCH', [
      {
        path: '/log_probs',
        message: `log_probs must be (T, N, C) or (T, C), got shape ${showShape(logProbs.shape)}`,
      },
    ]);
  }
  const batched = rank === 3;
  const T = logProbs.shape[0]!;
  const N = batched ? logProbs.shape[1]! : 1;
  const C = logProbs.shape[rank - 1]!;
  if (T < 1) {
    return refuse('LOSSD_SHAPE_MISMATCH', [
      { path: '/log_probs', message: `log_probs needs at least one time step, got shape ${showShape(logProbs.shape)}` },
    ]);
  }

  if (!(opts.blank >= 0 && opts.blank < C)) {
    return refuse('LOSSD_INVALID_OPTION', [
      { path: '/blank', message: `blank must be in label range [0, ${C}), got ${opts.blank}` },
    ]);
  }

  // Lengths: exactly N values each (any shape; PyTorch only counts them).
  for (const [name, t] of [
    ['input_lengths', inputLengths],
    ['target_lengths', targetLengths],
  ] as const) {
    if (t.data.length !== N) {
      return refuse('LOSSD_SHAPE_MISMATCH', [
        {
          path: `/${name}`,
          message: `${name} must be of size batch_size (${N}), got ${t.data.length} values (shape ${showShape(t.shape)})`,
        },
      ]);
    }
  }

  // Negative lengths (PyTorch does not check them and reads out of bounds; the service refuses).
  const negatives: Issue[] = [];
  for (const [name, t] of [
    ['input_lengths', inputLengths],
    ['target_lengths', targetLengths],
  ] as const) {
    for (let b = 0; b < N && negatives.length < MAX_ISSUES; b++) {
      const v = t.data[b]!;
      if (v < 0) {
        negatives.push({ path: elementPath(name, t.shape, b), message: `${name} must be non-negative, got ${v}` });
      }
    }
  }
  if (negatives.length > 0) return refuse('LOSSD_INVALID_VALUE', negatives);

  // Targets: concatenated (Σ L_b) or padded (N, S >= max L_b).
  let maxTargetLength = 0;
  let total = 0;
  for (let b = 0; b < N; b++) {
    const L = targetLengths.data[b]!;
    total += L;
    if (L > maxTargetLength) maxTargetLength = L;
  }
  const targetOffsets = new Float64Array(N);
  if (targets.shape.length === 1) {
    if (targets.data.length !== total) {
      return refuse('LOSSD_SHAPE_MISMATCH', [
        {
          path: '/targets',
          message: `concatenated targets must hold sum(target_lengths) = ${total} labels, got shape ${showShape(targets.shape)}`,
        },
      ]);
    }
    let pos = 0;
    for (let b = 0; b < N; b++) {
      targetOffsets[b] = pos;
      pos += targetLengths.data[b]!;
    }
  } else if (targets.shape.length === 2) {
    const rows = targets.shape[0]!;
    const S = targets.shape[1]!;
    if (rows !== N) {
      return refuse('LOSSD_SHAPE_MISMATCH', [
        {
          path: '/targets',
          message: `padded targets must have batch_size (${N}) rows, got shape ${showShape(targets.shape)}`,
        },
      ]);
    }
    if (S < maxTargetLength) {
      return refuse('LOSSD_SHAPE_MISMATCH', [
        {
          path: '/targets',
          message: `padded targets must have at least max(target_lengths) = ${maxTargetLength} columns, got shape ${showShape(targets.shape)}`,
        },
      ]);
    }
    for (let b = 0; b < N; b++) targetOffsets[b] = b * S;
  } else {
    return refuse('LOSSD_SHAPE_MISMATCH', [
      {
        path: '/targets',
        message: `targets must be padded (N, S) or concatenated (sum(target_lengths)), got shape ${showShape(targets.shape)}`,
      },
    ]);
  }

  // input_length <= T.
  const tooLong: Issue[] = [];
  for (let b = 0; b < N && tooLong.length < MAX_ISSUES; b++) {
    const v = inputLengths.data[b]!;
    if (v > T) {
      tooLong.push({
        path: elementPath('input_lengths', inputLengths.shape, b),
        message: `input_lengths must be at most T = ${T}, got ${v}`,
      });
    }
  }
  if (tooLong.length > 0) return refuse('LOSSD_INVALID_VALUE', tooLong);

  // Labels within each target length must be class indices (PyTorch reads out of bounds; refused).
  const badLabels: Issue[] = [];
  for (let b = 0; b < N && badLabels.length < MAX_ISSUES; b++) {
    const off = targetOffsets[b]!;
    const L = targetLengths.data[b]!;
    for (let j = 0; j < L && badLabels.length < MAX_ISSUES; j++) {
      const v = targets.data[off + j]!;
      if (v < 0 || v >= C) {
        badLabels.push({
          path: elementPath('targets', targets.shape, off + j),
          message: `label ${v} of sample ${b} is outside [0, ${C})`,
        });
      }
    }
  }
  if (badLabels.length > 0) return refuse('LOSSD_INVALID_VALUE', badLabels);

  return {
    ok: true,
    lossShape: opts.reduction === 'none' && batched ? [N] : [],
    plan: {
      T,
      N,
      C,
      inputLengths: inputLengths.data,
      targetLengths: targetLengths.data,
      targetOffsets,
      maxTargetLength,
    },
  };
}

function compute(args: LossArgs, opts: Options, plan: CtcPlan, grad: GradRequest, alloc: Alloc): KernelResult {
  const lp = args.log_probs.data;
  const labels = args.targets.data;
  const { T, N, C, inputLengths, targetLengths, targetOffsets, maxTargetLength } = plan;
  const blank = opts.blank;
  const zeroInfinity = opts.zero_infinity;
  const rowStride = N * C; // from log_probs[t, b, c] to log_probs[t + 1, b, c]

  // Scratch, allocated once per call and reused by every sample.
  const width = 2 * maxTargetLength + 1;
  const alpha = new Float64Array(T * width);
  const ext = new Int32Array(width);
  const nll = new Float64Array(N);

  const g = grad.wrt.includes('log_probs') ? alloc(T * N * C) : null;
  // β for two time steps (t + 1 and t), and γ_t for one: each gradient row is written as soon as
  // its time step is done.
  let betaNext = new Float64Array(g === null ? 0 : width);
  let betaCur = new Float64Array(g === null ? 0 : width);
  const gamma = new Float64Array(g === null ? 0 : C);

  // Per sample: the forward pass keeps α for every t < T_b, then (when the gradient is asked for)
  // the backward pass walks t down from T_b - 1, finishing one gradient row per step.
  for (let b = 0; b < N; b++) {
    const Tb = inputLengths[b]!;
    const Lb = targetLengths[b]!;
    if (Tb === 0) {
      // Service definition (PyTorch reads out of bounds): one empty path, or none at all.
      nll[b] = Lb === 0 ? 0 : Number.POSITIVE_INFINITY;
      continue;
    }
    const Sp = 2 * Lb + 1;
    const off = targetOffsets[b]!;
    for (let s = 0; s < Sp; s++) ext[s] = (s & 1) === 0 ? blank : labels[off + (s >> 1)]!;
    const base = b * C; // log_probs[0, b, 0]

    // t = 0
    for (let s = 0; s < Sp; s++) alpha[s] = NEG_INF;
    alpha[0] = lp[base + blank]!;
    if (Lb > 0) alpha[1] = lp[base + ext[1]!]!;

    for (let t = 1; t < Tb; t++) {
      const prev = (t - 1) * width;
      const cur = t * width;
      const lpRow = base + t * rowStride;
      for (let s = 0; s < Sp; s++) {
        const l = ext[s]!;
        const la1 = alpha[prev + s]!;
        let max = la1;
        let la2 = NEG_INF;
        let la3 = NEG_INF;
        if (s > 0) {
          la2 = alpha[prev + s - 1]!;
          if (la2 > max) max = la2;
        }
        if (s > 1 && ext[s - 2] !== l) {
          la3 = alpha[prev + s - 2]!;
          if (la3 > max) max = la3;
        }
        if (max === NEG_INF) max = 0;
        alpha[cur + s] =
          Math.log(Math.exp(la1 - max) + Math.exp(la2 - max) + Math.exp(la3 - max)) + max + lp[lpRow + l]!;
      }
    }

    const last = (Tb - 1) * width;
    if (Lb === 0) {
      nll[b] = -alpha[last]!;
    } else {
      const l1 = alpha[last + Sp - 1]!;
      const l2 = alpha[last + Sp - 2]!;
      let m = l1 < l2 ? l2 : l1; // std::max
      if (m === NEG_INF) m = 0;
      nll[b] = -(Math.log(Math.exp(l1 - m) + Math.exp(l2 - m)) + m);
    }

    if (g === null) continue;
    const nllb = nll[b]!;
    if (zeroInfinity && nllb === Number.POSITIVE_INFINITY) continue; // gradient stays 0
    const Gb = upstreamFactor(opts.reduction, grad, b, N, Lb);

    // t = T_b - 1: the two assignments, blank first (a last label equal to blank overwrites it).
    let lpRow = base + (Tb - 1) * rowStride;
    gamma.fill(NEG_INF);
    for (let s = 0; s < Sp; s++) betaNext[s] = NEG_INF;
    betaNext[Sp - 1] = lp[lpRow + blank]!;
    gamma[blank] = alpha[last + Sp - 1]! + betaNext[Sp - 1]!;
    if (Lb > 0) {
      const l = ext[Sp - 2]!;
      betaNext[Sp - 2] = lp[lpRow + l]!;
      gamma[l] = alpha[last + Sp - 2]! + betaNext[Sp - 2]!;
    }
    writeGradRow(g, lp, gamma, lpRow, C, nllb, Gb);

    for (let t = Tb - 2; t >= 0; t--) {
      lpRow = base + t * rowStride;
      const cur = t * width;
      gamma.fill(NEG_INF);
      for (let s = Sp - 1; s >= 0; s--) {
        const l = ext[s]!;
        const lb1 = betaNext[s]!;
        let max = lb1;
        let lb2 = NEG_INF;
        let lb3 = NEG_INF;
        if (s < Sp - 1) {
          lb2 = betaNext[s + 1]!;
          if (lb2 > max) max = lb2;
        }
        if (s < Sp - 2 && ext[s + 2] !== l) {
          lb3 = betaNext[s + 2]!;
          if (lb3 > max) max = lb3;
        }
        if (max === NEG_INF) max = 0;
        const beta = Math.log(Math.exp(lb1 - max) + Math.exp(lb2 - max) + Math.exp(lb3 - max)) + max + lp[lpRow + l]!;
        betaCur[s] = beta;
        // γ_t(l'_s) ⊕= α_t(s) + β_t(s)
        const ab = alpha[cur + s]! + beta;
        const acc = gamma[l]!;
        if (acc === NEG_INF) {
          gamma[l] = ab;
        } else {
          const m = acc < ab ? ab : acc; // std::max
          gamma[l] = Math.log(Math.exp(acc - m) + Math.exp(ab - m)) + m;
        }
      }
      writeGradRow(g, lp, gamma, lpRow, C, nllb, Gb);
      const swap = betaNext;
      betaNext = betaCur;
      betaCur = swap;
    }
    // Rows t >= T_b stay 0 (alloc zero-fills).
  }

  return { loss: reduceLoss(nll, targetLengths, opts, plan, alloc), grads: g === null ? {} : { log_probs: g } };
}

/** G_b: the factor of grad_output that reaches sample b (LOSSES.md 3.5), in autograd's order. */
function upstreamFactor(reduction: Options['reduction'], grad: GradRequest, b: number, N: number, Lb: number): number {
  if (reduction === 'none') return grad.gamma === null ? grad.g : grad.gamma[b]!;
  if (reduction === 'sum') return grad.g;
  return grad.g / N / Math.max(Lb, 1); // MeanBackward, then DivBackward by the clamped length
}

/** grad[t, b, c] = (exp(lp) - exp(γ_t(c) + nll - lp)) · G_b for one time step of one sample. */
function writeGradRow(
  g: FloatArray,
  lp: FloatArray,
  gamma: Float64Array,
  lpRow: number,
  C: number,
  nll: number,
  Gb: number,
): void {
  for (let c = 0; c < C; c++) {
    const x = lp[lpRow + c]!;
    g[lpRow + c] = (Math.exp(x) - Math.exp(gamma[c]! + nll - x)) * Gb;
  }
}

function reduceLoss(
  nll: Float64Array,
  targetLengths: Int32Array,
  opts: Options,
  plan: CtcPlan,
  alloc: Alloc,
): number | FloatArray {
  const { N } = plan;
  const value = (b: number) => {
    const v = nll[b]!;
    return opts.zero_infinity && v === Number.POSITIVE_INFINITY ? 0 : v;
  };
  if (opts.reduction === 'none') {
    const out = alloc(N);
    for (let b = 0; b < N; b++) out[b] = value(b);
    return out;
  }
  let sum = 0;
  if (opts.reduction === 'sum') {
    for (let b = 0; b < N; b++) sum += value(b);
    return sum;
  }
  for (let b = 0; b < N; b++) sum += value(b) / Math.max(targetLengths[b]!, 1);
  return sum / N; // N = 0: 0 / 0 = NaN
}

/** log 0.5 and log 0.25, for the example's normalized rows. */
const LOG_HALF = -Math.LN2;
const LOG_QUARTER = -2 * Math.LN2;

export const ctcLoss = defineLoss({
  name: 'ctc_loss',
  aliases: [],
  summary: 'Connectionist temporal classification.',
  formula: '-log Σ_alignments Π_t exp(log_probs[t, π_t])',
  latex:
    '\\ell_b = -\\log \\sum_{\\pi \\in \\mathcal{B}^{-1}(y_b)} \\prod_{t=0}^{T_b-1} \\exp(\\mathrm{lp}_{t,b,\\pi_t})',
  reference: 'torch.nn.functional.ctc_loss (PyTorch 1.13); Graves et al. 2006',
  args: ARGS,
  options,
  // T = 4 steps, N = 1 sample, C = 3 classes (0 is the blank); target "1 2"; each row is
  // log([0.5, 0.25, 0.25]) in some order, normalized as a log_softmax output is
  example: {
    log_probs: [
      [[LOG_HALF, LOG_QUARTER, LOG_QUARTER]],
      [[LOG_QUARTER, LOG_HALF, LOG_QUARTER]],
      [[LOG_QUARTER, LOG_QUARTER, LOG_HALF]],
      [[LOG_HALF, LOG_QUARTER, LOG_QUARTER]],
    ],
    targets: [[1, 2]],
    input_lengths: [4],
    target_lengths: [2],
  },
  check,
  compute,
});
