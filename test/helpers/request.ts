// Sending a request body through the request pipeline (decode, validate, check, compute), no HTTP.

import { runLoss } from '../../src/pipeline/run-loss.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';

/**
 * What the request pipeline refuses a request body with: its code and the path of each error;
 * null when it answers.
 */
export function requestRefusal(
  loss: AnyLossDescriptor,
  body: Record<string, unknown>,
  maxElements = 100,
): { code: string; paths: string[] } | null {
  const out = runLoss(loss, body, { maxElements });
  return out.ok ? null : { code: out.code, paths: out.errors.map((e) => e.path) };
}
