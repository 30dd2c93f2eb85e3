// A large request body without its bulk: before JSON.parse (which would make a JS string of the
// whole body, then another of each b64 value, or a JS array of every number), the long values
// of "b64" members and the large numeric arrays are cut out of the bytes and replaced by
// placeholders, which the decoder (./decode.ts) resolves: b64 text to the original bytes,
// decoded straight from them (./wasm/base64.ts); arrays to the doubles that ./wasm/arrays.ts
// read from the bytes, with their shape.
//
// A b64 value is cut only where the bytes leave no doubt that it is the whole content of the
// string value of a "b64" key: `"b64"` whose opening quote follows `{` or `,`, then `:` and
// an opening quote, then a run without `"` or `\`. Inside a JSON string every `"` is escaped,
// so such a run cannot be part of another string. An array is cut only when it is, byte for
// byte, a rectangular array of JSON numbers (./wasm/assembly/arrays.ts), outside any string. If
// the body is not valid JSON, the cut version is not either, and the caller parses the original
// bytes to report the error as usual. Placeholders carry a random per-request nonce, so no
// string in a body can pose as one; one that ends up anywhere but where a tensor is decoded is
// noticed (Cuts.allArraysUsed) and the body parsed again whole.

import { randomBytes } from 'node:crypto';
import { MAX_RANK } from '../contract/limits.js';
import { type ReadArray, readArrays } from './wasm/arrays.js';

/** Bodies, b64 values and arrays smaller than these are parsed as they are. */
const MIN_BODY_BYTES = 64 * 1024;
const MIN_VALUE_BYTES = 4096;
const MIN_ARRAY_VALUES = 1024;

const KEY = Buffer.from('"b64"', 'latin1');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** What the placeholders of one body stand for. */
export class Cuts {
  private readonly used = new Set<string>();
  constructor(
    private readonly b64Values: ReadonlyMap<string, Uint8Array>,
    private readonly arrayValues: ReadonlyMap<string, ReadArray>,
  ) {}

  /** The base64 bytes a b64 placeholder stands for. */
  b64(placeholder: string): Uint8Array | undefined {
    return this.b64Values.get(placeholder);
  }

  /** The array a placeholder stands for; noted as used. */
  array(placeholder: string): ReadArray | undefined {
    const a = this.arrayValues.get(placeholder);
    if (a !== undefined) this.used.add(placeholder);
    return a;
  }

  get hasArrays(): boolean {
    return this.arrayValues.size > 0;
  }

  /** Every array was decoded as a tensor (none sat where JSON.parse's array was wanted). */
  allArraysUsed(): boolean {
    return this.used.size === this.arrayValues.size;
  }
}

export interface CutBody {
  /** The body with its bulk replaced by placeholders, for JSON.parse. */
  readonly text: Uint8Array;
  readonly cuts: Cuts;
}

/** [start, end) pairs of the long b64 values' text (inside their quotes). */
function b64Spans(buf: Buffer): number[] {
  const n = buf.length;
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
  return spans;
}

/**
 * The body without its long b64 values and, given `maxValues` (the request's element limit),
 * without its large numeric arrays; null when it has none of either (or is small).
 */
export function cutBody(body: Uint8Array, arrays?: { maxValues: number }): CutBody | null {
  const n = body.length;
  if (n < MIN_BODY_BYTES) return null;
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const b64 = b64Spans(buf);
  // the arrays are looked for between the b64 values (the scanner sees each as an empty string)
  const read =
    arrays === undefined
      ? null
      : readArrays(body, { minValues: MIN_ARRAY_VALUES, maxValues: arrays.maxValues, maxRank: MAX_RANK }, b64);
  if (b64.length === 0 && read === null) return null;

  const nonce = randomBytes(8).toString('hex');
  // every cut in body order: b64 text sits inside strings, arrays outside them, so none overlap
  const cuts: Array<{ start: number; end: number; mark: string }> = [];
  const b64Values = new Map<string, Uint8Array>();
  for (let i = 0; i < b64.length; i += 2) {
    const start = b64[i] as number;
    const end = b64[i + 1] as number;
    b64Values.set(`\u0000b64:${nonce}:${i / 2}`, body.subarray(start, end));
    cuts.push({ start, end, mark: `\\u0000b64:${nonce}:${i / 2}` });
  }
  const arrayValues = new Map<string, ReadArray>();
  for (const [i, a] of (read ?? []).entries()) {
    arrayValues.set(`\u0000arr:${nonce}:${i}`, a);
    cuts.push({ start: a.start, end: a.end, mark: `"\\u0000arr:${nonce}:${i}"` });
  }
  cuts.sort((a, b) => a.start - b.start);

  let size = n;
  for (const c of cuts) size += c.mark.length - (c.end - c.start);
  const text = Buffer.allocUnsafe(size);
  let at = 0;
  let prev = 0;
  for (const c of cuts) {
    at += buf.copy(text, at, prev, c.start);
    at += text.write(c.mark, at, 'latin1');
    prev = c.end;
  }
  buf.copy(text, at, prev, n);
  return { text, cuts: new Cuts(b64Values, arrayValues) };
}
