// A large request body without its base64 text: the long values of "b64" members are cut out
// of the bytes before JSON.parse (which would otherwise make a JS string of the whole body and
// then another of each b64 value, 2 × 10 MB for a 1024×1000 float64 tensor) and replaced by
// placeholders that the decoder (./decode.ts) resolves to the original bytes, decoding the
// base64 straight from them (./wasm/base64.ts).
//
// A value is cut only where the bytes leave no doubt that it is the whole content of the
// string value of a "b64" key: `"b64"` whose opening quote follows `{` or `,`, then `:` and
// an opening quote, then a run without `"` or `\`. Inside a JSON string every `"` is escaped,
// so such a run cannot be part of another string; if the body is not valid JSON, the cut
// version is not either, and the caller parses the original bytes to report the error as
// usual. Placeholders carry a random per-request nonce, so no string in a body can pose as one.

import { randomBytes } from 'node:crypto';

/** Bodies and values smaller than these are parsed as they are. */
const MIN_BODY_BYTES = 64 * 1024;
const MIN_VALUE_BYTES = 4096;

const KEY = Buffer.from('"b64"', 'latin1');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export interface CutBody {
  /** The body with each long b64 value replaced by a placeholder, for JSON.parse. */
  readonly text: Uint8Array;
  /** Placeholder → the base64 bytes it stands for (views of the original body). */
  readonly b64: ReadonlyMap<string, Uint8Array>;
}

/** The body without its long b64 values, or null when it has none (or is small). */
export function cutB64(body: Uint8Array): CutBody | null {
  const n = body.length;
  if (n < MIN_BODY_BYTES) return null;
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const spans: number[] = [];
  let from = 0;
  for (;;) {
    const k = buf.indexOf(KEY, from);
    if (k < 0) break;
    from = k + KEY.length;
    let p = k - 1;
    while (p >= 0 && isSpace(buf[p])) p--;
    if (p < 0 || (buf[p] !== 0x7b && buf[p] !== 0x2c)) continue;
    let q = from;
    while (q < n && isSpace(buf[q])) q++;
    if (buf[q] !== 0x3a) continue;
    q++;
    while (q < n && isSpace(buf[q])) q++;
    if (buf[q] !== QUOTE) continue;
    const start = q + 1;
    const end = buf.indexOf(QUOTE, start);
    if (end < 0) break;
    from = end + 1;
    if (end - start < MIN_VALUE_BYTES) continue;
    // an escape sequence: JSON.parse's business
    if (buf.subarray(start, end).indexOf(BACKSLASH) >= 0) continue;
    spans.push(start, end);
  }
  if (spans.length === 0) return null;

  const nonce = randomBytes(8).toString('hex');
  const b64 = new Map<string, Uint8Array>();
  const marks: string[] = [];
  let size = n;
  for (let i = 0; i < spans.length; i += 2) {
    const mark = `\\u0000b64:${nonce}:${i / 2}`;
    marks.push(mark);
    b64.set(`\u0000b64:${nonce}:${i / 2}`, body.subarray(spans[i] as number, spans[i + 1] as number));
    size += mark.length - ((spans[i + 1] as number) - (spans[i] as number));
  }
  const text = Buffer.allocUnsafe(size);
  let at = 0;
  let prev = 0;
  for (let i = 0; i < spans.length; i += 2) {
    at += buf.copy(text, at, prev, spans[i] as number);
    at += text.write(marks[i / 2] as string, at, 'latin1');
    prev = spans[i + 1] as number;
  }
  buf.copy(text, at, prev, n);
  return { text, b64 };
}
