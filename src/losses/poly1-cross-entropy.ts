// poly1_cross_entropy, the Poly-1 loss of PolyLoss (Leng et al., ICLR 2022, arXiv:2204.12511).
//
//   ce  = cross_entropy(z, y, label_smoothing = ls)          (PyTorch's, per sample)
//   q   = (1 - ls) onehot(y) + ls / C   (just onehot(y) when ls <= 0)
//   p_t = Σ_c q_c softmax(z)_c          L = ce + ε (1 - p_t)
//
// Cross-entropy is -log p_t = Σ_j (1 - p_t)^j / j; Poly-1 adjusts the leading polynomial
// coefficient by ε, which the paper finds is the term that matters most. The paper's code
// uses the smoothed labels for p_t too; lossd follows the paper, not the ports that keep the
// plain one-hot there.
//
// Gradient (per sample, upstream G), as autograd runs it through its two nodes:
//   log_softmax: ∂/∂z_c = g_c - e^{lp_c} Σ g,  g = -(1 - ls) G [c = y] - G ls / C
//   softmax:     ∂/∂z_c = s_c (h_c - Σ h s),   h = -ε G q
// which together are G ((s - q) - ε s (q - p_t)).

import { z } from 'zod';
import { reduced, upstream } from '../numeric/reduce.js';
import { showShape } from '../numeric/shape.js';
import { rowMax, shiftedExp } from '../numeric/stable.js';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss, type Issue } from '../registry/types.js';
import { CLASS_INDEX_EXAMPLE, indexArg, predictionArg } from './args.js';
import { MAX_ISSUES, refuse } from './check.js';

const options = z.object({
  reduction: reductionOption(),
  epsilon: z
    .number()
    .min(-1, 'epsilon must be >= -1')
    .default(1)
    .describe('Coefficient of the extra (1 - p_t) term (>= -1, as the paper requires; 0 gives cross-entropy).'),
  label_smoothing: z
    .number()
    .max(1, 'label_smoothing must be <= 1')
    .default(0)
    .describe('Label smoothing as in cross_entropy (<= 1; values <= 0 mean none); also smooths p_t.'),
});

interface Plan {
  /** Samples. */
  readonly N: number;
  /** Classes. */
  readonly C: number;
}

export const poly1CrossEntropy = defineLoss({
  name: 'poly1_cross_entropy',
  aliases: [],
  summary: 'Poly-1 loss: cross-entropy plus epsilon (1 - p_t).',
  formula: 'L = CE(z, y; ls) + epsilon (1 - p_t), p_t = sum_c q_c softmax(z)_c, q = (1 - ls) onehot(y) + ls / C',
  latex:
    '\\ell = \\mathrm{CE}_{ls}(z, y) + \\epsilon\\,(1 - p_t),\\quad p_t = \\sum_c q_c\\,\\mathrm{softmax}(z)_c,\\quad q = (1 - ls)\\,\\mathbb{1}_y + ls / C',
  reference: 'PolyLoss (Poly-1), Leng et al., ICLR 2022, arXiv:2204.12511; CE is torch.nn.functional.cross_entropy',
  args: [
    predictionArg('input', 'Logits, (N, C) or (C,), C >= 1.'),
    indexArg('target', 'Class indices in [0, C), shape (N,) or ().'),
  ],
  options,
  example: CLASS_INDEX_EXAMPLE,
  check: (args, opts): CheckResult<Plan> => {
    const input = args.input;
    const target = args.target;
    const rank = input.shape.length;
    const C = rank >= 1 ? input.shape[rank - 1]! : 0;
    if ((rank !== 1 && rank !== 2) || C < 1) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/input',
        `input must be (N, C) or (C,) with C >= 1, got ${showShape(input.shape)}`,
      );
    }
    const want = rank === 2 ? [input.shape[0]!] : [];
    if (target.shape.length !== want.length || (want.length === 1 && target.shape[0] !== want[0])) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/target',
        `target must hold one class index per sample: shape ${showShape(want)}, got ${showShape(target.shape)}`,
      );
    }
    const N = rank === 2 ? want[0]! : 1;
    const issues: Issue[] = [];
    for (let i = 0; i < N && issues.length < MAX_ISSUES; i++) {
      const y = target.data[i]!;
      if (y < 0 || y >= C) {
        issues.push({
          path: rank === 2 ? `/target/${i}` : '/target',
          message: `class index ${y} out of range [0, ${C})`,
        });
      }
    }
    if (issues.length > 0) return refuse('LOSSD_INVALID_VALUE', issues);
    return { ok: true, lossShape: opts.reduction === 'none' ? want : [], plan: { N, C } };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const zs = args.input.data;
    const ys = args.target.data;
    const { N, C } = plan;
    const ls = opts.label_smoothing;
    const smoothing = ls > 0;
    const eps = opts.epsilon;
    const none = opts.reduction === 'none';
    const out = none ? alloc(N) : null;
    const gz = grad.wrt.includes('input') ? alloc(N * C) : null;
    const G = none ? 1 : upstream(opts.reduction, grad.g, N);
    const Gamma = none ? grad.gamma : null;
    // per-sample scratch, reused for every row
    const lp = new Float64Array(C);
    const s = new Float64Array(C);
    const qOff = smoothing ? ls / C : 0;
    const qOn = smoothing ? 1 - ls + qOff : 1;
    let sum = 0;
    for (let n = 0; n < N; n++) {
      const base = n * C;
      const y = ys[n]!;
      // one exp per logit: e = exp(z - max), Σ once per row; log_softmax is (z - max) - log Σ,
      // softmax exp(z - max) · (1 / Σ) as torch computes it, and the log-softmax backward's
      // exp(lp) is that same softmax
      const m = rowMax(zs, base, 1, C);
      const se = shiftedExp(zs, base, 1, C, m, s);
      const logS = Math.log(se);
      const inv = 1 / se;
      let pt = 0;
      let lpSum = 0;
      for (let c = 0; c < C; c++) {
        const l = zs[base + c]! - m - logS;
        lp[c] = l;
        const sc = s[c]! * inv;
        s[c] = sc;
        pt += (c === y ? qOn : qOff) * sc;
        lpSum += l;
      }
      const nll = -lp[y]!;
      const ce = smoothing ? (1 - ls) * nll + -lpSum * (ls / C) : nll;
      const l = ce + eps * (1 - pt);
      sum += l;
      if (out !== null) out[n] = l;
      if (gz === null) continue;

      const Gn = Gamma === null ? G : Gamma[n]!;
      // log_softmax node: upstream g_c = -gOff - gOn·[c = y]
      const gOn = smoothing ? Gn * (1 - ls) : Gn;
      const gOff = smoothing ? Gn * (ls / C) : 0;
      const gSum = -gOn - gOff * C;
      // softmax node: upstream h_c = gPt · q_c
      const gPt = -(Gn * eps);
      let hs = 0;
      for (let c = 0; c < C; c++) hs += gPt * (c === y ? qOn : qOff) * s[c]!;
      for (let c = 0; c < C; c++) {
        const gLp = c === y ? -gOff - gOn : -gOff;
        const h = gPt * (c === y ? qOn : qOff);
        const sc = s[c]!;
        gz[base + c] = gLp - sc * gSum + sc * (h - hs);
      }
    }
    const grads: Record<string, FloatArray> = {};
    if (gz !== null) grads.input = gz;
    return { loss: out ?? reduced(opts.reduction, sum, N), grads };
  },
});
