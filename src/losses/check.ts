// Pieces of the meta step (a descriptor's `check`) that several losses share.

import { broadcastsInto } from '../numeric/broadcast-into.js';
import { showShape } from '../numeric/shape.js';
import type { FloatTensor } from '../numeric/tensor.js';
import type { Args, CheckCode, CheckFailure } from '../registry/types.js';

/** A refusal with a single issue. */
export function refuse(code: CheckCode, path: string, message: string): CheckFailure {
  return { ok: false, code, issues: [{ path, message }] };
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
