// sigmoid_focal_loss, torchvision.ops.sigmoid_focal_loss (torchvision 0.14.1), the RetinaNet
// focal loss (Lin et al. 2017, arXiv:1708.02002).
//
//   p = σ(x)   ce = BCE-with-logits(x, t)   p_t = p t + (1 - p)(1 - t)
//   L = ce (1 - p_t)^γ,   then L *= α t + (1 - α)(1 - t) only when α >= 0
//
// (1 - p_t)^γ down-weights the easy, well-classified examples so that the many easy
// negatives of dense detection do not swamp the loss; α balances positives and negatives.
//
// ce is PyTorch's own expression, (1 - t) x + m + log(e^-m + e^(-x-m)) with m = max(-x, 0),
// so saturated and infinite logits give exactly torch's values (x = ±inf with the "wrong"
// label is NaN, 0 · inf). The backward replays autograd: ∂ce/∂x = σ(x) - t, ∂ce/∂t = -x,
// σ' = (g (1 - p)) p, the pow node gives exactly 0 for γ = 0 (torch's pow_backward), and
// targets also receive gradient through p_t and α_t.

import { z } from 'zod';
import { reduced, upstream } from '../numeric/reduce.js';
import { sameShape, showShape } from '../numeric/shape.js';
import { sigmoid } from '../numeric/stable.js';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { type CheckResult, defineLoss } from '../registry/types.js';
import { EXAMPLE_LABELS, EXAMPLE_X, predictionArg, targetArg } from './args.js';
import { refuse } from './check.js';

const options = z.object({
  alpha: z
    .number()
    .max(1, 'alpha must be in [0, 1], or negative for no weighting')
    .default(0.25)
    .describe('Weight of the positive class in [0, 1]; a negative value means no weighting.'),
  gamma: z
    .number()
    .min(0, 'gamma must be >= 0')
    .default(2)
    .describe('Focusing exponent on (1 - p_t) (>= 0; 0 gives alpha-weighted cross-entropy).'),
  reduction: reductionOption('none'),
});

interface Plan {
  readonly n: number;
}

export const sigmoidFocalLoss = defineLoss({
  name: 'sigmoid_focal_loss',
  aliases: [],
  summary: 'Focal loss on logits (RetinaNet): cross-entropy down-weighted on easy examples.',
  formula:
    'L = alpha_t (1 - p_t)^gamma BCE_logits(x, t), p = sigmoid(x), p_t = p t + (1 - p)(1 - t), alpha_t = alpha t + (1 - alpha)(1 - t) (1 when alpha < 0)',
  latex:
    '\\ell = \\alpha_t\\,(1 - p_t)^{\\gamma}\\,\\mathrm{BCE}(x, t),\\quad p_t = \\sigma(x)\\,t + (1 - \\sigma(x))(1 - t),\\quad \\alpha_t = \\alpha t + (1 - \\alpha)(1 - t)',
  reference: 'torchvision.ops.sigmoid_focal_loss (torchvision 0.14.1); Lin et al. 2017, arXiv:1708.02002',
  args: [
    predictionArg('inputs', 'Logits, any shape.'),
    targetArg('targets', 'Labels 0/1 (or soft labels in [0, 1]), the same shape as inputs.'),
  ],
  options,
  example: {
    inputs: EXAMPLE_X,
    targets: EXAMPLE_LABELS,
  },
  check: (args, opts): CheckResult<Plan> => {
    const x = args.inputs;
    const t = args.targets;
    if (!sameShape(x.shape, t.shape)) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/targets',
        `targets has shape ${showShape(t.shape)}, inputs ${showShape(x.shape)}: they must be equal`,
      );
    }
    return { ok: true, lossShape: opts.reduction === 'none' ? x.shape : [], plan: { n: x.data.length } };
  },
  compute: (args, opts, plan, grad, alloc) => {
    const xs = args.inputs.data;
    const ts = args.targets.data;
    const { n } = plan;
    const { alpha, gamma } = opts;
    const weighted = alpha >= 0;
    const none = opts.reduction === 'none';
    const out = none ? alloc(n) : null;
    const gx = grad.wrt.includes('inputs') ? alloc(n) : null;
    const gt = grad.wrt.includes('targets') ? alloc(n) : null;
    const G = none ? 1 : upstream(opts.reduction, grad.g, n);
    const Gamma = none ? grad.gamma : null;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      const t = ts[i]!;
      const p = sigmoid(x);
      const m = Math.max(-x, 0);
      const ce = (1 - t) * x + m + Math.log(Math.exp(-m) + Math.exp(-x - m));
      const pt = p * t + (1 - p) * (1 - t);
      const omp = 1 - pt;
      const w = omp ** gamma;
      const l0 = ce * w;
      const at = weighted ? alpha * t + (1 - alpha) * (1 - t) : 1;
      const l = weighted ? at * l0 : l0;
      sum += l;
      if (out !== null) out[i] = l;
      if (gx === null && gt === null) continue;

      const Gi = Gamma === null ? G : Gamma[i]!;
      let gTarget = 0;
      let gL0 = Gi;
      if (weighted) {
        gL0 = Gi * at;
        const gAt = Gi * l0;
        gTarget += gAt * alpha - gAt * (1 - alpha);
      }
      const gCe = gL0 * w;
      const gW = gL0 * ce;
      // torch's pow_backward: exactly zero for exponent 0, else g · (γ · b^(γ-1))
      const gOmp = gamma === 0 ? 0 : gW * (gamma * omp ** (gamma - 1));
      const gPt = -gOmp;
      const gP = gPt * t - gPt * (1 - t);
      if (gx !== null) gx[i] = (p - t) * gCe + gP * (1 - p) * p;
      if (gt !== null) {
        gTarget += gPt * p - gPt * (1 - p);
        gt[i] = -x * gCe + gTarget;
      }
    }
    const grads: Record<string, FloatArray> = {};
    if (gx !== null) grads.inputs = gx;
    if (gt !== null) grads.targets = gt;
    return { loss: out ?? reduced(opts.reduction, sum, n), grads };
  },
});
