// nll_loss (negative log likelihood), torch.nn.functional.nll_loss. LOSSES.md §5 "nll_loss".
//
//   ℓ_i = v_i · ( -w[y_i] · x_i[y_i] )       v_i = [y_i != ignore_index]
//   W   = Σ_i v_i · w[y_i]                   mean = Σ ℓ_i / W   (the weights of the counted
//                                             targets, not the number of positions: a weighted
//                                             mean over samples, as PyTorch defines it)
//   ∂/∂x_i[c] = -G_i · w[y_i] · [c = y_i]    G_i = Γ_i, g, or g / W
//
// The loss is a gather: only x_i[y_i] is read, so NaN or -inf elsewhere in a row has no
// effect. PyTorch writes the gradient as w[y] · (-(g / W)), so W = 0 with zero weights gives
// 0 · inf = NaN at each counted (i, y_i) and 0 everywhere else; an all-ignored mean is 0/0 =
// NaN with an all-zero gradient (ignored positions are never written).
//
// The class-index layout rules live here and are shared with cross_entropy, which PyTorch
// computes as nll_loss on a log-softmax.

import { z } from 'zod';
import { type ClassLayout, classLayout, numel, sameShape, showShape } from '../numeric/shape.js';
import type { FloatArray, FloatTensor, IntTensor } from '../numeric/tensor.js';
import { integerOption, reductionOption } from '../registry/options.js';
import { type Args, type CheckCode, type CheckFailure, defineLoss, type KernelResult } from '../registry/types.js';
import { indexArg, predictionArg, weightArg } from './args.js';

/** A class-index target resolved against the input: one class per position, -1 where ignored. */
export interface ClassIndexPlan {
  readonly layout: ClassLayout;
  /** `classes[n·inner + j]` is the class of position (n, j), or -1 for an ignored position. */
  readonly classes: Int32Array;
}

export function refuse(code: CheckCode, path: string, message: string): CheckFailure {
  return { ok: false, code, issues: [{ path, message }] };
}

/**
 * The shapes PyTorch accepts for class-index targets: (C) with a 0-d target, (N, C) with (N),
 * (N, C, d1..dk) with (N, d1..dk). Returns the failure, or null when the shapes agree.
 */
export function checkClassIndexShapes(
  op: string,
  input: readonly number[],
  target: readonly number[],
): CheckFailure | null {
  if (input.length === 0) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/input',
      `${op}: input must have at least 1 dimension (the class dimension), got a 0-d tensor`,
    );
  }
  if (input.length === 1) {
    if (target.length !== 0) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        '/target',
        `${op}: an unbatched input of shape ${showShape(input)} takes a 0-d class-index target, got shape ${showShape(target)}`,
      );
    }
    return null;
  }
  if (target.length === 0 || target[0] !== input[0]) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/target',
      `${op}: expected input batch_size (${input[0]}) to match target batch_size (${target.length === 0 ? 'none, target is 0-d' : target[0]}); input ${showShape(input)}, target ${showShape(target)}`,
    );
  }
  const expected = [input[0] as number, ...input.slice(2)];
  if (!sameShape(target, expected)) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/target',
      `${op}: input of shape ${showShape(input)} takes a class-index target of shape ${showShape(expected)}, got ${showShape(target)}`,
    );
  }
  // PyTorch views a 3-d or >4-d input as (N, C, 1, -1), or (N, C, 0, 0) when it is empty, and
  // the target as (N, 1, -1): a zero class dimension with a non-empty target cannot line up.
  if (input.length !== 2 && input.length !== 4 && numel(input) === 0 && numel(target) > 0) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/target',
      `${op}: input of shape ${showShape(input)} has no elements but target of shape ${showShape(target)} has some`,
    );
  }
  return null;
}

/** `weight`, when present, must be 1-D with exactly C elements. */
export function checkClassWeight(op: string, weight: FloatTensor | undefined, C: number): CheckFailure | null {
  if (weight === undefined) return null;
  if (weight.shape.length !== 1 || weight.shape[0] !== C) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/weight',
      `${op}: weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape ${showShape(weight.shape)}`,
    );
  }
  return null;
}

/**
 * Resolves target values to classes: -1 for `ignore_index`, else a class in [0, C).
 * `integral` asks to check that every value is a finite integer (targets decoded as floats).
 */
export function resolveClasses(
  op: string,
  values: FloatArray | Int32Array,
  C: number,
  ignoreIndex: number,
  integral: boolean,
): Int32Array | CheckFailure {
  const classes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (integral && !Number.isInteger(v)) {
      return refuse(
        'LOSSD_INVALID_VALUE',
        '/target',
        `${op}: a class-index target holds integers; element ${i} is ${v}`,
      );
    }
    if (v === ignoreIndex) {
      classes[i] = -1;
    } else if (v < 0 || v >= C) {
      return refuse(
        'LOSSD_INVALID_VALUE',
        '/target',
        `${op}: Target ${v} is out of bounds (element ${i}; classes are 0 to ${C - 1}, ignore_index is ${ignoreIndex})`,
      );
    } else {
      classes[i] = v;
    }
  }
  return classes;
}

/** Every check of the class-index layout, in PyTorch's order: shapes, weight, values. */
export function checkClassIndex(
  op: string,
  args: Args,
  ignoreIndex: number,
  integral: boolean,
): ClassIndexPlan | CheckFailure {
  const input = args.input as FloatTensor;
  const target = args.target as FloatTensor | IntTensor;
  const shapes = checkClassIndexShapes(op, input.shape, target.shape);
  if (shapes !== null) return shapes;
  const layout = classLayout(input.shape);
  const weight = checkClassWeight(op, args.weight as FloatTensor | undefined, layout.C);
  if (weight !== null) return weight;
  const classes = resolveClasses(op, target.data, layout.C, ignoreIndex, integral);
  if (!(classes instanceof Int32Array)) return classes;
  return { layout, classes };
}

const options = z.object({
  reduction: reductionOption(),
  ignore_index: integerOption(-100, 'A target value that is ignored: it adds nothing to the loss nor to W.'),
});

type Options = z.output<typeof options>;

function compute(
  args: Args,
  opts: Options,
  plan: ClassIndexPlan,
  grad: { wrt: readonly string[]; g: number; gamma: FloatArray | null },
  alloc: (n: number) => FloatArray,
): KernelResult {
  const x = (args.input as FloatTensor).data;
  const w = (args.weight as FloatTensor | undefined)?.data ?? null;
  const { N, C, inner } = plan.layout;
  const cls = plan.classes;
  const M = cls.length;
  const none = opts.reduction === 'none';

  // W depends only on the targets: summed first, so that the gradient (which needs it for a
  // mean) is written in the same pass over the rows as the loss.
  let W = 0;
  for (let p = 0; p < M; p++) {
    const y = cls[p] as number;
    if (y >= 0) W += w === null ? 1 : (w[y] as number);
  }
  const out = none ? alloc(M) : null;
  const wantInput = grad.wrt.includes('input');
  // -(g / W) for a mean, -g for a sum; "none" takes -Γ_i per position.
  const gReduced = -(opts.reduction === 'mean' ? grad.g / W : grad.g);
  const gamma = grad.gamma;
  let sum = 0;
  // zero-filled (a memset), then one element per position is written
  const gi = wantInput ? alloc(x.length) : null;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < inner; j++) {
      const p = n * inner + j;
      const y = cls[p] as number;
      let l = 0;
      if (y >= 0) {
        const k = n * C * inner + y * inner + j;
        const wy = w === null ? 1 : (w[y] as number);
        l = -(x[k] as number) * wy;
        if (gi !== null) {
          const G = none ? -(gamma === null ? 1 : (gamma[p] as number)) : gReduced;
          gi[k] = w === null ? G : wy * G;
        }
      }
      sum += l;
      if (out !== null) out[p] = l;
    }
  }
  const loss = out ?? (opts.reduction === 'sum' ? sum : sum / W);
  return { loss, grads: gi === null ? {} : { input: gi } };
}

export const nllLoss = defineLoss<typeof options.shape, ClassIndexPlan>({
  name: 'nll_loss',
  aliases: [],
  summary: 'Negative log likelihood of the target class.',
  formula: 'L_i = -w[y_i] x_i[y_i] (0 where y_i = ignore_index); mean divides by sum of w[y_i] over counted i',
  latex:
    '\\ell_i = -w_{y_i}\\, x_{i, y_i}\\,[y_i \\neq \\text{ignore\\_index}],\\quad \\text{mean} = \\frac{\\sum_i \\ell_i}{\\sum_i w_{y_i} [y_i \\neq \\text{ignore\\_index}]}',
  reference: 'torch.nn.functional.nll_loss (PyTorch 1.13)',
  args: [
    predictionArg('input', 'Log-probabilities (any real scores are accepted): (C), (N, C) or (N, C, d1, ..., dk).'),
    indexArg('target', 'Class indices in [0, C) or ignore_index: () for (C), (N) for (N, C), (N, d1, ..., dk).'),
    weightArg('Optional weight of each class, 1-D with C elements (not differentiable).'),
  ],
  options,
  example: {
    input: [
      [-0.4, -1.5, -2.2],
      [-1.2, -0.9, -1.3],
    ],
    target: [0, 2],
  },
  check: (args, opts) => {
    const plan = checkClassIndex('nll_loss', args, opts.ignore_index, false);
    if ('ok' in plan) return plan;
    return {
      ok: true,
      lossShape: opts.reduction === 'none' ? plan.layout.positionShape : [],
      plan,
    };
  },
  compute,
});
