// Pieces of the meta step (a descriptor's `check`) that several losses share: the one way to
// refuse a request, and the class-index layout rules of nll_loss and cross_entropy.

import { broadcastsInto } from '../numeric/broadcast-into.js';
import { type ClassLayout, classLayout, numel, sameShape, showShape } from '../numeric/shape.js';
import type { FloatArray, FloatTensor, IntTensor } from '../numeric/tensor.js';
import type { Args, CheckCode, CheckFailure, Issue } from '../registry/types.js';

/** Most issues listed for one kind of bad value (the first ones, in order). */
export const MAX_ISSUES = 10;

/** A refusal: one issue at `path`, or the issues found (at most MAX_ISSUES of a kind). */
export function refuse(code: CheckCode, path: string, message: string): CheckFailure;
export function refuse(code: CheckCode, issues: readonly Issue[]): CheckFailure;
export function refuse(code: CheckCode, where: string | readonly Issue[], message = ''): CheckFailure {
  return { ok: false, code, issues: typeof where === 'string' ? [{ path: where, message }] : where };
}

/**
 * The optional float argument `name`, when present, must broadcast to the input's shape
 * without enlarging it (PyTorch multiplies it into the loss in place). Returns the refusal,
 * or null when it fits or is absent.
 */
export function checkBroadcastsIntoInput(
  op: string,
  args: Args,
  name: string,
  input: readonly number[],
): CheckFailure | null {
  const t = args[name] as FloatTensor | undefined;
  if (t === undefined || broadcastsInto(t.shape, input)) return null;
  return refuse(
    'LOSSD_SHAPE_MISMATCH',
    `/${name}`,
    `${op}: ${name} shape ${showShape(t.shape)} does not broadcast to input shape ${showShape(input)}`,
  );
}

/** A class-index target resolved against the input: one class per position, -1 where ignored. */
export interface ClassIndexPlan {
  readonly layout: ClassLayout;
  /** `classes[n·inner + j]` is the class of position (n, j), or -1 for an ignored position. */
  readonly classes: Int32Array;
}

/**
 * The shapes PyTorch accepts for class-index targets: (C) with a 0-d target, (N, C) with (N),
 * (N, C, d1..dk) with (N, d1..dk). Returns the failure, or null when the shapes agree.
 */
function checkClassIndexShapes(op: string, input: readonly number[], target: readonly number[]): CheckFailure | null {
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
  const expected = [input[0]!, ...input.slice(2)];
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
function resolveClasses(
  op: string,
  values: FloatArray | Int32Array,
  C: number,
  ignoreIndex: number,
  integral: boolean,
): Int32Array | CheckFailure {
  const classes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
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
