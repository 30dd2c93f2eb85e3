// A request body's bytes to JSON, in the worker: UTF-8 (fatal on a bad sequence), JSON.parse,
// and, for a large body, its b64 values (and, for a loss request, its large numeric arrays)
// cut from its bytes first (src/codec/body.ts) so that JSON.parse never walks them; anything
// the cut version cannot parse, or answers otherwise than the whole body would be answered, is
// parsed again whole. A body whose parse would not fit in this thread's heap is refused before
// it is decoded (src/pipeline/heap-budget.ts).

import { type Cuts, cutBody } from '../codec/body.js';
import { ReparseRequired } from '../codec/decode.js';
import { releaseArrays } from '../codec/wasm/arrays.js';
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

/** The body as JSON, and what was cut from its bytes when it is large. */
function parseBody(bytes: Uint8Array, arrays: { maxValues: number } | undefined): Parsed & { cuts?: Cuts } {
  const cut = cutBody(bytes, arrays);
  if (cut !== null) {
    const parsed = parseText(cut.text);
    if (parsed.ok) return { ...parsed, cuts: cut.cuts };
    if ('refused' in parsed) return parsed;
  }
  return parseText(bytes);
}

/** The 400 for a body that is not JSON. */
export const malformed = (message: string) =>
  failure('LOSSD_MALFORMED_JSON', `the body is not valid JSON: ${message}`, [{ path: '', message }]);

/** Large numeric arrays are cut too when given: `settled` says whether an outcome may stand. */
export interface ArrayCuts<T> {
  readonly arrays: { readonly maxValues: number };
  /** An outcome that is not settled (a refusal) is computed again from the whole body. */
  readonly settled: (out: T) => boolean;
}

/**
 * Parses a raw body and runs `compute` on it, with the b64 values (and, given `arrayCuts`, the
 * numeric arrays) cut from its bytes when it is large; when those need the reference path
 * (ReparseRequired, an unsettled outcome, an array placeholder left where no tensor was
 * decoded), parses it again whole and runs `compute` without them.
 */
export function withBody<T>(
  bytes: Uint8Array,
  compute: (value: unknown, cuts?: Cuts) => T,
  arrayCuts?: ArrayCuts<T>,
): T | Failure {
  const parsed = parseBody(bytes, arrayCuts?.arrays);
  if (!parsed.ok) return 'refused' in parsed ? parsed.refused : malformed(parsed.message);
  try {
    const out = compute(parsed.value, parsed.cuts);
    const cuts = parsed.cuts;
    if (cuts === undefined || !cuts.hasArrays || (arrayCuts?.settled(out) && cuts.allArraysUsed())) return out;
  } catch (e) {
    if (!(e instanceof ReparseRequired)) throw e;
  } finally {
    releaseArrays();
  }
  // something cut from the bytes needs the reference path
  const whole = parseText(bytes);
  if (whole.ok) return compute(whole.value);
  return 'refused' in whole ? whole.refused : malformed(whole.message);
}
