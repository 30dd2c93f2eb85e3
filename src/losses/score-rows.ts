// The layout optax's per-row classification losses share (multiclass_hinge_loss,
// sparsemax_loss): scores (..., C) with C >= 1 on the last axis, and one integer label per
// row, shaped like the scores without their class axis. optax would one-hot an out-of-range
// label to a zero row silently; lossd refuses it at the label's own JSON Pointer.
// Each loss supplies only its row: the loss of one row and, when asked, its gradient.

import { reduced, upstream } from '../numeric/reduce.js';
import { showShape } from '../numeric/shape.js';
import type { Alloc, FloatArray, Reduction } from '../numeric/tensor.js';
import type { ArgsOf, CheckResult, GradRequest, KernelResult } from '../registry/types.js';
import { indexArg, predictionArg } from './args.js';
import { refuse } from './check.js';
import { elementPath } from './element-path.js';

export const scoreRowArgs = [
  predictionArg('scores', 'Scores (..., C), C >= 1, classes on the last axis.'),
  indexArg('labels', 'Class index of each row in [0, C), shaped like scores without its last axis.'),
] as const;

export type ScoreRowArgs = ArgsOf<typeof scoreRowArgs>;

export const scoreRowExample = {
  scores: [
    [2.0, 0.5, -1.0],
    [0.1, 0.2, 0.3],
  ],
  labels: [0, 1],
};

export interface RowPlan {
  /** Rows: the product of the leading dimensions (0 for an empty batch). */
  readonly rows: number;
  /** Classes, the last dimension. */
  readonly C: number;
}

/** The meta step of a scores/labels loss: shapes, then each label in [0, C). */
export function checkScoreRows(op: string, args: ScoreRowArgs, reduction: string): CheckResult<RowPlan> {
  const scores = args.scores;
  const labels = args.labels;
  const r = scores.shape.length;
  if (r === 0) return refuse('LOSSD_SHAPE_MISMATCH', '/scores', `${op}: scores must be (..., C), got a 0-d tensor`);
  const C = scores.shape[r - 1]!;
  if (C === 0) {
    return refuse('LOSSD_SHAPE_MISMATCH', '/scores', `${op}: scores ${showShape(scores.shape)} has no classes (C = 0)`);
  }
  const lead = scores.shape.slice(0, -1);
  const sameLead = labels.shape.length === lead.length && lead.every((d, i) => labels.shape[i] === d);
  if (!sameLead) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/labels',
      `${op}: labels must have shape ${showShape(lead)} (scores ${showShape(scores.shape)} without its class axis), got ${showShape(labels.shape)}`,
    );
  }
  const rows = labels.data.length;
  for (let i = 0; i < rows; i++) {
    const y = labels.data[i]!;
    if (y < 0 || y >= C) {
      return refuse(
        'LOSSD_INVALID_VALUE',
        elementPath('labels', labels.shape, i),
        `${op}: label ${y} out of range [0, ${C})`,
      );
    }
  }
  return { ok: true, lossShape: reduction === 'none' ? lead : [], plan: { rows, C } };
}

/**
 * One row's loss, the `C` scores at `s[o..o + C)` with label `y`; when `gs` is not null, also
 * writes the row's gradient, scaled by its upstream `Gi`, into `gs[o..o + C)`.
 */
export type RowLoss = (s: FloatArray, o: number, C: number, y: number, gs: FloatArray | null, Gi: number) => number;

/** Runs `row` over every row and reduces: the loss and the gradient wrt the scores. */
export function computeScoreRows(
  args: ScoreRowArgs,
  reduction: Reduction,
  plan: RowPlan,
  grad: GradRequest,
  alloc: Alloc,
  row: RowLoss,
): KernelResult {
  const s = args.scores.data;
  const labels = args.labels.data;
  const { rows, C } = plan;
  const none = reduction === 'none';
  const out = none ? alloc(rows) : null;
  const gs = grad.wrt.includes('scores') ? alloc(rows * C) : null;
  const G = upstream(reduction, grad.g, rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const Gi = none ? (grad.gamma === null ? 1 : grad.gamma[i]!) : G;
    const l = row(s, i * C, C, labels[i]!, gs, Gi);
    total += l;
    if (out !== null) out[i] = l;
  }
  const grads: Record<string, FloatArray> = {};
  if (gs !== null) grads.scores = gs;
  return { loss: out ?? reduced(reduction, total, rows), grads };
}
