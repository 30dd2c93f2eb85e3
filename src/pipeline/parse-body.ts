// A request body's bytes to JSON, in the worker: UTF-8 (fatal on a bad sequence), JSON.parse,
// and, for a large body, the b64 values cut from its bytes first (src/codec/body.ts) so that
// JSON.parse never walks them; anything the cut version cannot parse is parsed again whole,
// for the usual error.

import { cutB64 } from '../codec/body.js';
import { type ExternalB64, ReparseRequired } from '../codec/decode.js';
import { type Failure, failure } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** UTF-8 (fatal on a bad sequence) and JSON.parse, failures as values. */
export function parseText(bytes: Uint8Array): Parsed {
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
  if (!parsed.ok) return malformed(parsed.message);
  try {
    return compute(parsed.value, parsed.b64);
  } catch (e) {
    if (!(e instanceof ReparseRequired)) throw e;
    // b64 text cut from the bytes was not plain base64: the reference path reports it
    const whole = parseText(bytes);
    return whole.ok ? compute(whole.value) : malformed(whole.message);
  }
}
