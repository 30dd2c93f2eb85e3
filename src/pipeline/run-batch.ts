// One /v1/batch request, from its parsed body to the JSON bytes of the response, in the worker
// that parsed it: the envelope (Zod), the item and element limits, then each item through the
// single-request pipeline (./run-item.ts), in order. A failing item becomes {"error": problem}
// with its paths under /items/i; it never sinks the others.

import type { Cuts } from '../codec/body.js';
import { batchRequestSchema } from '../contract/batch-envelope.js';
import { type Failure, failure } from '../errors.js';
import { answerItem, envelopeFailure } from './run-item.js';
import { workBudget } from './run-loss.js';

export interface BatchLimits {
  /** Most items one batch may hold (LOSSD_MAX_BATCH_ITEMS). */
  readonly maxItems: number;
  /** Most tensor elements all items together may hold (LOSSD_MAX_ELEMENTS). */
  readonly maxElements: number;
}

export interface BatchSuccess {
  readonly ok: true;
  /** The UTF-8 JSON of the response body, in an ArrayBuffer of its own (transferable). */
  readonly body: Uint8Array;
  readonly elements: number;
  readonly kernelMs: number;
}

/** Elements a tensor declares, read from its shape without walking its data. */
function declaredElements(v: unknown): number {
  if (typeof v === 'number' || typeof v === 'string') return 1;
  if (Array.isArray(v)) {
    let n = 1;
    for (let cur: unknown = v; Array.isArray(cur); cur = cur[0]) {
      n *= cur.length;
      if (cur.length === 0) break;
    }
    return n;
  }
  if (v !== null && typeof v === 'object' && Array.isArray((v as { shape?: unknown }).shape)) {
    return ((v as { shape: unknown[] }).shape as number[]).reduce((a, b) => a * (typeof b === 'number' ? b : 0), 1);
  }
  return 0;
}

const encoder = new TextEncoder();

export function runBatch(body: unknown, limits: BatchLimits, cuts?: Cuts): BatchSuccess | Failure {
  const parsed = batchRequestSchema.safeParse(body);
  if (!parsed.success) return envelopeFailure(parsed.error, 'batch');
  // the items as parsed from JSON, not Zod's copies: a copy assigns keys, so an item's own
  // "__proto__" key would set the copy's prototype and vanish, where the item's own request
  // must refuse it
  const items = (body as { items: Array<{ loss: string } & Record<string, unknown>> }).items;
  if (items.length > limits.maxItems) {
    return failure(
      'LOSSD_BODY_TOO_LARGE',
      `the batch has ${items.length} items; at most ${limits.maxItems} are accepted`,
      [{ path: '/items', message: `more than ${limits.maxItems} items` }],
    );
  }
  let elements = 0;
  for (const item of items)
    for (const [k, v] of Object.entries(item)) if (k !== 'loss') elements += declaredElements(v);
  if (elements > limits.maxElements) {
    return failure(
      'LOSSD_TOO_MANY_ELEMENTS',
      `the batch holds ${elements} tensor elements; at most ${limits.maxElements} are accepted`,
      [{ path: '/items', message: 'too many tensor elements' }],
    );
  }

  let kernelMs = 0;
  // the items share one work budget, as they share the element limit
  const work = workBudget(limits.maxElements);
  const parts = items.map((item, i): Uint8Array => {
    const answer = answerItem(item, `/items/${i}`, { maxElements: limits.maxElements, work }, cuts);
    kernelMs += answer.kernelMs;
    return answer.bytes;
  });

  // {"results":[a,b,...]} in one buffer of its own
  const head = encoder.encode('{"results":[');
  let size = head.length + 2 + Math.max(0, parts.length - 1);
  for (const p of parts) size += p.length;
  const bytes = new Uint8Array(size);
  bytes.set(head);
  let at = head.length;
  parts.forEach((p, i) => {
    if (i > 0) bytes[at++] = 44; // ,
    bytes.set(p, at);
    at += p.length;
  });
  bytes[at++] = 93; // ]
  bytes[at] = 125; // }
  return { ok: true, body: bytes, elements, kernelMs };
}
