// The plumbing shared by the elementwise two-argument losses (input, target broadcast both
// ways): shape check, broadcasting the operands, allocating outputs, reducing, and summing
// broadcast gradients back to each argument's shape. The loss supplies only its loop.

import type { z } from 'zod';
import { allocFull } from '../numeric/alloc.js';
import { reduced, upstream } from '../numeric/reduce.js';
import { broadcastShapes, expandTo, numel, showShape, sumTo } from '../numeric/shape.js';
import type { Alloc, FloatArray, FloatTensor, Reduction } from '../numeric/tensor.js';
import {
  type AnyLossDescriptor,
  type Args,
  type CheckResult,
  defineLoss,
  type GradRequest,
  type KernelResult,
} from '../registry/types.js';
import { PAIR_EXAMPLE, predictionArg, targetArg } from './args.js';
import { refuse } from './check.js';

export interface PairPlan {
  /** The broadcast shape of the two operands: the `none` output shape. */
  readonly shape: readonly number[];
}

/**
 * One pass over `n` broadcast elements. Writes every `L_i` to `out` (when not null), the local
 * gradients times the upstream factor to `ga`/`gb` (when not null), and returns `Σ L_i`.
 * The factor is `gamma[i]` when `gamma` is given (reduction "none"), else `G`.
 */
export type PairLoop<O> = (
  a: FloatArray,
  b: FloatArray,
  n: number,
  G: number,
  gamma: FloatArray | null,
  out: FloatArray | null,
  ga: FloatArray | null,
  gb: FloatArray | null,
  opts: O,
) => number;

/** Meta step: the two operands must broadcast (LOSSES.md 3.6). */
export function checkPair(args: Args, reduction: Reduction, a = 'input', b = 'target'): CheckResult<PairPlan> {
  const sa = (args[a] as FloatTensor).shape;
  const sb = (args[b] as FloatTensor).shape;
  const shape = broadcastShapes(sa, sb);
  if (shape === null) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      `/${b}`,
      `${b} shape ${showShape(sb)} does not broadcast with ${a} shape ${showShape(sa)}`,
    );
  }
  return { ok: true, lossShape: reduction === 'none' ? shape : [], plan: { shape } };
}

/** checkPair, with the loss's name in front of the message (PyTorch's wording for some losses). */
export function checkNamedPair(op: string, args: Args, reduction: Reduction): CheckResult<PairPlan> {
  const r = checkPair(args, reduction);
  return r.ok ? r : { ...r, issues: r.issues.map((issue) => ({ ...issue, message: `${op}: ${issue.message}` })) };
}

/** Runs a pair loop with broadcasting, reduction and gradient unbroadcasting around it. */
export function runPair<O extends { reduction: Reduction }>(
  loop: PairLoop<O>,
  args: Args,
  opts: O,
  plan: PairPlan,
  grad: GradRequest,
  alloc: Alloc,
  a = 'input',
  b = 'target',
): KernelResult {
  const ta = args[a] as FloatTensor;
  const tb = args[b] as FloatTensor;
  const n = numel(plan.shape);
  const x = expandTo(ta.data, ta.shape, plan.shape, alloc);
  const y = expandTo(tb.data, tb.shape, plan.shape, alloc);
  const wantA = grad.wrt.includes(a);
  const wantB = grad.wrt.includes(b);
  // every loop writes each element of what it is given: no zero-fill needed
  const ga = wantA ? allocFull(alloc, n) : null;
  const gb = wantB ? allocFull(alloc, n) : null;
  const none = opts.reduction === 'none';
  const out = none ? allocFull(alloc, n) : null;
  const G = none ? 1 : upstream(opts.reduction, grad.g, n);
  const sum = loop(x, y, n, G, none ? grad.gamma : null, out, ga, gb, opts);
  const grads: Record<string, FloatArray> = {};
  if (ga) grads[a] = sumTo(ga, plan.shape, ta.shape, alloc);
  if (gb) grads[b] = sumTo(gb, plan.shape, tb.shape, alloc);
  return { loss: out ?? reduced(opts.reduction, sum, n), grads };
}

/**
 * For losses whose gradient for a broadcast argument must be summed where PyTorch sums it: at
 * the op that broadcast the argument, before the argument's own local factor is applied
 * (`f(a)·ΣP + ΣQ`, not `Σ(P_i·f(a) + Q_i)`). The two differ when `f(a)` is not finite or NaN,
 * or when the broadcast shape is empty (PyTorch still applies `f(a)` to the empty sum).
 * Returns the sums of the streams `fill` writes for every broadcast element `i`, each laid out
 * as `shape`; `G_i` is the upstream factor of element `i` (LOSSES.md 3.5).
 */
export function broadcastStreams(
  plan: PairPlan,
  shape: readonly number[],
  reduction: Reduction,
  grad: GradRequest,
  count: number,
  fill: (i: number, Gi: number, streams: Float64Array[]) => void,
): Float64Array[] {
  const n = numel(plan.shape);
  const none = reduction === 'none';
  const G = none ? 1 : upstream(reduction, grad.g, n);
  const gamma = none ? grad.gamma : null;
  const streams = Array.from({ length: count }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) fill(i, gamma === null ? G : gamma[i]!, streams);
  return streams.map((s) => sumTo(s, plan.shape, shape, (k) => new Float64Array(k)) as Float64Array);
}

/** Whether `name` is asked for and was broadcast to a larger shape (so its gradient is a sum). */
export function isBroadcastGrad(args: Args, name: string, plan: PairPlan, grad: GradRequest): boolean {
  return grad.wrt.includes(name) && (args[name] as FloatTensor).data.length !== numel(plan.shape);
}

/** What a plain pair loss says of itself; the rest of its descriptor is shared (definePairLoss). */
type PairLossWords = Pick<AnyLossDescriptor, 'name' | 'aliases' | 'summary' | 'formula' | 'latex' | 'reference'>;

/**
 * The descriptor of an elementwise loss of an `input` and a `target` that broadcast both ways,
 * from its options and its loop: the arguments, example, check and kernel are the same for all.
 */
export function definePairLoss<S extends z.ZodRawShape>(
  options: z.ZodObject<S>,
  loop: PairLoop<z.output<z.ZodObject<S>>>,
  words: PairLossWords,
) {
  type O = z.output<z.ZodObject<S>> & { reduction: Reduction };
  return defineLoss({
    ...words,
    args: [
      predictionArg('input', 'Predictions, any shape that broadcasts with target.'),
      targetArg('target', 'Targets, any shape that broadcasts with input.'),
    ],
    options,
    example: PAIR_EXAMPLE,
    check: (args, opts) => checkPair(args, (opts as O).reduction),
    compute: (args, opts, plan, grad, alloc) => runPair(loop, args, opts as O, plan, grad, alloc),
  });
}
