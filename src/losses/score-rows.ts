// The layout optax's per-row classification losses share (multiclass_hinge_loss,
// sparsemax_loss): scores (..., C) with C >= 1 on the last axis, and one integer label per
// row, shaped like the scores without their class axis. optax would one-hot an out-of-range
// label to a zero row silently; lossd refuses it at the label's own JSON Pointer.

import { showShape } from '../numeric/shape.js';
import type { FloatTensor, IntTensor } from '../numeric/tensor.js';
import type { Args, CheckResult } from '../registry/types.js';
import { refuse } from './check.js';

export interface RowPlan {
  /** Rows: the product of the leading dimensions (0 for an empty batch). */
  readonly rows: number;
  /** Classes, the last dimension. */
  readonly C: number;
}

/** JSON Pointer of element `flat` of a tensor of `shape`, as the nested form writes it. */
export function elementPath(name: string, shape: readonly number[], flat: number): string {
  const idx = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] as number;
    idx[d] = rest % n;
    rest = Math.floor(rest / n);
  }
  return idx.length === 0 ? `/${name}` : `/${name}/${idx.join('/')}`;
}

/** The meta step of a scores/labels loss: shapes, then each label in [0, C). */
export function checkScoreRows(op: string, args: Args, reduction: string): CheckResult<RowPlan> {
  const scores = args.scores as FloatTensor;
  const labels = args.labels as IntTensor;
  const r = scores.shape.length;
  if (r === 0) return refuse('LOSSD_SHAPE_MISMATCH', '/scores', `${op}: scores must be (..., C), got a 0-d tensor`);
  const C = scores.shape[r - 1] as number;
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
    const y = labels.data[i] as number;
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
