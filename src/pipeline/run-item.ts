// One batch item, from its parsed JSON to the bytes of its answer: the loss's response body,
// or {"error": problem} with the problem's paths under the item's own (`at`). Shared by the
// JSON batch (./run-batch.ts, items at /items/i) and the NDJSON stream (./run-stream.ts, each
// line its own document, at ''), so that an item is answered the same way in both.

import type { z } from 'zod';
import { cutPointer, shown } from '../bounded-text.js';
import type { Cuts } from '../codec/body.js';
import { batchItemSchema } from '../contract/batch-envelope.js';
import { type Failure, failure, PROBLEMS, type ProblemIssue, pointer, problemBody } from '../errors.js';
import { findLoss, knownNames } from '../registry/index.js';
import { type Limits, runLoss } from './run-loss.js';

export interface ItemAnswer {
  /** The item's response body, or {"error": problem}, as UTF-8 JSON. */
  readonly bytes: Uint8Array;
  /** 200, or the status the item's problem would have alone. */
  readonly status: number;
  readonly elements: number;
  readonly kernelMs: number;
}

/** Zod issues of an envelope (a batch, an item) → one problem with a JSON Pointer per issue. */
export function envelopeFailure(error: z.ZodError, what: string): Failure {
  const issues: ProblemIssue[] = error.issues.flatMap((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: pointer([...path, key]), message: `unknown key ${shown(key)}` }));
    return [{ path: pointer(path), message: issue.message }];
  });
  const first = issues[0];
  const detail = first
    ? first.path === ''
      ? `the ${what}: ${first.message}`
      : `${cutPointer(first.path)}: ${first.message}`
    : `invalid ${what}`;
  return failure('LOSSD_INVALID_REQUEST', detail, issues);
}

const encoder = new TextEncoder();

/** {"error": problem} for a failure, its paths under `at`. */
export function errorAnswer(f: Failure, at = ''): ItemAnswer {
  const errors = at === '' ? f.errors : f.errors.map((e) => ({ path: `${at}${e.path}`, message: e.message }));
  return {
    bytes: encoder.encode(`{"error":${JSON.stringify(problemBody({ ...f, errors }))}}`),
    status: PROBLEMS[f.code].status,
    elements: 0,
    kernelMs: 0,
  };
}

/** An item whose envelope (`loss` a string, an object) has been checked. */
export function answerItem(
  item: { loss: string } & Record<string, unknown>,
  at: string,
  limits: Limits,
  cuts?: Cuts,
): ItemAnswer {
  const { loss: name, ...body } = item;
  const loss = findLoss(name);
  if (loss === undefined) {
    return errorAnswer(
      failure('LOSSD_UNKNOWN_LOSS', `no loss named ${shown(name)}`, [
        { path: '/loss', message: `unknown loss; known: ${knownNames().join(', ')}` },
      ]),
      at,
    );
  }
  const out = runLoss(loss, body, limits, { cuts });
  if (!out.ok) return errorAnswer(out, at);
  return { bytes: out.body, status: 200, elements: out.elements, kernelMs: out.kernelMs };
}

/** An item as parsed from JSON, envelope unchecked (a stream's line). */
export function answerParsedItem(value: unknown, maxElements: number, cuts?: Cuts): ItemAnswer {
  const parsed = batchItemSchema.safeParse(value);
  if (!parsed.success) return errorAnswer(envelopeFailure(parsed.error, 'item'));
  // the item as parsed from JSON, not Zod's copy (see run-batch.ts: an own "__proto__" key)
  return answerItem(value as { loss: string } & Record<string, unknown>, '', { maxElements }, cuts);
}
