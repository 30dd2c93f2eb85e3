// margin_ranking_loss, torch.nn.functional.margin_ranking_loss. LOSSES.md §6
// "margin_ranking_loss".
//
//   v = -y · (x1 - x2) + margin        L = max(v, 0)      (NaN v stays NaN, as clamp_min)
//
// PyTorch 1.13 composes it from neg, sub, mul, add and clamp_min_, whose backward selects
// the incoming gradient where v >= 0 (a `where`, so the kink v = 0 passes it and a NaN v
// gets 0). Everything after that selection is a plain product, so a NaN score still gives
// the target a 0 · NaN = NaN gradient, and a NaN target gives the scores NaN:
//   a = (v >= 0 ? G : 0)
//   dL/dx1 = a · (-y)      dL/dx2 = -(a · (-y))      dL/dy = -(a · (x1 - x2))
//
// PyTorch refuses tensors of different ranks before broadcasting (even when they would
// broadcast), then broadcasts the three together.

import { z } from 'zod';
import { allocFull } from '../numeric/alloc.js';
import { reduced, upstream } from '../numeric/reduce.js';
import { broadcastShapes, expandTo, numel, showShape, sumTo } from '../numeric/shape.js';
import type { FloatArray, FloatTensor } from '../numeric/tensor.js';
import { numberOption, reductionOption } from '../registry/options.js';
import { type ArgsOf, type CheckResult, defineLoss } from '../registry/types.js';
import { EXAMPLE_X, EXAMPLE_X2, predictionArg, targetArg } from './args.js';
import { refuse } from './check.js';

const options = z.object({
  reduction: reductionOption(),
  margin: numberOption(0, 'Required gap between the two scores (any real).'),
});

type Options = z.output<typeof options>;

interface Plan {
  /** The broadcast shape of input1, input2 and target: the `none` output shape. */
  readonly shape: readonly number[];
}

const NAMES = ['input1', 'input2', 'target'] as const;

const ARGS = [
  predictionArg('input1', 'First scores; same number of dimensions as input2 and target, broadcast with them.'),
  predictionArg('input2', 'Second scores; same number of dimensions as input1 and target, broadcast with them.'),
  targetArg('target', 'Desired order: 1 when input1 should rank higher, -1 when input2 should (any real is used).'),
] as const;

/** The decoded arguments, typed from ARGS. */
type LossArgs = ArgsOf<typeof ARGS>;

function check(args: LossArgs, opts: Options): CheckResult<Plan> {
  const s1 = args.input1.shape;
  const s2 = args.input2.shape;
  const st = args.target.shape;
  const all = `input1 ${showShape(s1)}, input2 ${showShape(s2)}, target ${showShape(st)}`;
  if (s2.length !== s1.length || st.length !== s1.length) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      s2.length !== s1.length ? '/input2' : '/target',
      `margin_ranking_loss: all input tensors should have the same number of dimensions, got ${all}`,
    );
  }
  const shape = broadcastShapes(s1, s2, st);
  if (shape === null) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      broadcastShapes(s1, s2) === null ? '/input2' : '/target',
      `margin_ranking_loss: the shapes do not broadcast together: ${all}`,
    );
  }
  return { ok: true, lossShape: opts.reduction === 'none' ? shape : [], plan: { shape } };
}

/** One pass over the broadcast elements; returns Σ L. */
function loop(
  x1: FloatArray,
  x2: FloatArray,
  y: FloatArray,
  n: number,
  margin: number,
  G: number,
  gamma: FloatArray | null,
  out: FloatArray | null,
  g1: FloatArray | null,
  g2: FloatArray | null,
  gy: FloatArray | null,
): number {
  // clamp_min(v, 0) (which keeps NaN) and the where(v >= 0) of its backward, picked by index
  // from small arrays rather than branched on: v's sign is a coin flip on real data
  const L = new Float64Array(2);
  const A = new Float64Array(2);
  let sum = 0;
  if (gamma === null && out === null && g1 !== null && g2 !== null && gy === null) {
    // the default request: a reduced loss, both scores' gradients
    A[1] = G;
    for (let i = 0; i < n; i++) {
      const yi = y[i]!;
      const v = -yi * (x1[i]! - x2[i]!) + margin;
      L[0] = v;
      sum += L[Number(v < 0)]!;
      const gd = A[Number(v >= 0)]! * -yi;
      g1[i] = gd;
      g2[i] = -gd;
    }
    return sum;
  }
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    const d = x1[i]! - x2[i]!;
    const v = -yi * d + margin;
    L[0] = v;
    const l = L[Number(v < 0)]!;
    sum += l;
    if (out !== null) out[i] = l;
    A[1] = gamma === null ? G : gamma[i]!;
    const a = A[Number(v >= 0)]!;
    const gd = a * -yi;
    if (g1 !== null) g1[i] = gd;
    if (g2 !== null) g2[i] = -gd;
    if (gy !== null) gy[i] = -(a * d);
  }
  return sum;
}

export const marginRankingLoss = defineLoss({
  name: 'margin_ranking_loss',
  aliases: [],
  summary: 'Hinge on the ordered difference of two scores.',
  formula: 'L = max(0, -y (x1 - x2) + margin)',
  latex: '\\ell = \\max\\bigl(0,\\ -y\\,(x_1 - x_2) + \\text{margin}\\bigr)',
  reference: 'torch.nn.functional.margin_ranking_loss (PyTorch 1.13)',
  args: ARGS,
  options,
  example: {
    input1: EXAMPLE_X,
    input2: EXAMPLE_X2,
    target: [
      [1, -1, 1],
      [-1, 1, 1],
    ],
  },
  check,
  compute: (args, opts, plan, grad, alloc) => {
    const { shape } = plan;
    const n = numel(shape);
    const t = NAMES.map((name) => args[name]);
    const [t1, t2, ty] = t as [FloatTensor, FloatTensor, FloatTensor];
    const x1 = expandTo(t1.data, t1.shape, shape, alloc);
    const x2 = expandTo(t2.data, t2.shape, shape, alloc);
    const y = expandTo(ty.data, ty.shape, shape, alloc);
    // the loop writes every element of what it is given
    const buf = NAMES.map((name) => (grad.wrt.includes(name) ? allocFull(alloc, n) : null));
    const none = opts.reduction === 'none';
    const out = none ? allocFull(alloc, n) : null;
    const G = none ? 1 : upstream(opts.reduction, grad.g, n);
    const sum = loop(
      x1,
      x2,
      y,
      n,
      opts.margin,
      G,
      none ? grad.gamma : null,
      out,
      buf[0] ?? null,
      buf[1] ?? null,
      buf[2] ?? null,
    );
    const grads: Record<string, FloatArray> = {};
    for (let k = 0; k < NAMES.length; k++) {
      const b = buf[k];
      const tk = t[k]!;
      if (b) grads[NAMES[k] as string] = sumTo(b, shape, tk.shape, alloc);
    }
    return { loss: out ?? reduced(opts.reduction, sum, n), grads };
  },
});
