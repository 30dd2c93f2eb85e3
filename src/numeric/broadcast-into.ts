// "Broadcasts to S without enlarging it" (LOSSES.md 3.6): the rule of PyTorch kernels that
// combine an argument into a result of fixed shape in place (`loss.mul_(weight)`,
// `output.mul_(target)`), where the argument may be smaller than S but never larger.

import { broadcastShapes, sameShape } from './shape.js';

/** Whether `shape` broadcasts to `into` and the broadcast shape is `into` itself. */
export function broadcastsInto(shape: readonly number[], into: readonly number[]): boolean {
  const b = broadcastShapes(shape, into);
  return b !== null && sameShape(b, into);
}
