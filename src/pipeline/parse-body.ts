// A request body's bytes to JSON, in the worker: UTF-8 (fatal on a bad sequence), JSON.parse,
// and, for a large body, the b64 values cut from its bytes first (src/codec/body.ts) so that
// JSON.parse never walks them; anything the cut version cannot parse is parsed again whole,
// for the usual error. A body whose parse would not fit in this thread's heap is refused
// before it is decoded (src/pipeline/heap-budget.ts).

import { cutB64 } from '../codec/body.js';
import { type ExternalB64, ReparseRequired } from '../codec/decode.js';
import { type Failure, failure } from '../errors.js';
import { HEAP_BUDGET, parseCostBound } from './heap-budget.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string } | { ok: false; refused: Failure };

const MB = 1024 * 1024;

function tooLarge(cost: number): Failure {
  const detail =
    `parsing this body would take up to ${Math.ceil(cost / MB)} MB of a worker's heap, more than the ` +
    `${Math.floor(HEAP_BUDGET / MB)} MB one request may have (half of LOSSD_WORKER_HEAP_MB beyond what the worker holds); ` +
    'send the tensors in the binary form ({shape, dtype, b64}) or in smaller requests';
  return failure('LOSSD_BODY_TOO_LARGE', detail, [{ path: '', message: 'too large to parse within the worker heap' }]);
}

/** UTF-8 (fatal on a bad sequence) and JSON.parse, failures as values; refused beforehand when
 * the parse would not fit in the worker's heap (./heap-budget.ts). */
export function parseText(bytes: Uint8Array): Parsed {
  const cost = parseCostBound(bytes, HEAP_BUDGET);
  if (cost > HEAP_BUDGET) return { ok: false, refused: tooLarge(cost) };
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { ok: false, message: 'the body is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/** The body as JSON, and the b64 values cut from its bytes when it is large. */
function parseBody(bytes: Uint8Array): Parsed & { b64?: ExternalB64 } {
  const cut = cutB64(bytes);
  if (cut !== null) {
    const parsed = parseText(cut.text);
    if (parsed.ok) return { ...parsed, b64: cut.b64 };
    if ('refused' in parsed) return parsed;
  }
  return parseText(bytes);
}

/** The 400 for a body that is not JSON. */
export const malformed = (message: string) =>
  failure('LOSSD_MALFORMED_JSON', `the body is not valid JSON: ${message}`, [{ path: '', message }]);

/**
 * Parses a raw body and runs `compute` on it, with the b64 values cut from its bytes when it
 * is large; when those need the reference path (ReparseRequired), parses it again whole and
 * runs `compute` without them.
 */
export function withBody<T>(bytes: Uint8Array, compute: (value: unknown, b64?: ExternalB64) => T): T | Failure {
  const parsed = parseBody(bytes);
  if (!parsed.ok) return 'refused' in parsed ? parsed.refused : malformed(parsed.message);
  try {
    return compute(parsed.value, parsed.b64);
  } catch (e) {
    if (!(e instanceof ReparseRequired)) throw e;
    // b64 text cut from the bytes was not plain base64: the reference path reports it
    const whole = parseText(bytes);
    if (whole.ok) return compute(whole.value);
    return 'refused' in whole ? whole.refused : malformed(whole.message);
  }
}
