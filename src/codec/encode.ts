// Typed arrays → the JSON bytes of the response, in the request's encoding (API.md
// "Response tensors"):
//
//   nested  [[1, 2], [3, 4]]      (a 0-d tensor is a bare number)
//   flat    {"shape": [2, 2], "data": [1, 2, 3, 4]}
//   b64     {"shape": [2, 2], "dtype": "float64", "b64": "..."}
//
// Numbers are written as JavaScript prints them: the shortest string that reads back to the
// same double, which is also what JSON.stringify prints (-0 as 0); non-finite values are the
// strings API.md names ("NaN", "Infinity", "-Infinity"; JSON.stringify would write null).
//
// Everything is written straight into one byte buffer (JsonWriter), never into a JS string of
// the body or of a number: numbers by Ryu in WebAssembly (./wasm/double.ts: the shortest
// round-trip form, exactly what String(v) prints, as bytes; faster than V8's own formatter on
// Node 20 and 24 and than the JS printer it replaced on every line: BENCHMARKS.md), b64 from the
// tensor's bytes into the buffer by WebAssembly SIMD (./wasm/base64.ts; no base64 string either).

import type { FloatArray } from '../numeric/tensor.js';
import { encodeBase64 } from './wasm/base64.js';
import { writeNumbers, writeRows } from './wasm/double.js';

export type Encoding = 'nested' | 'flat' | 'b64';

/** One number as JSON: finite values as JavaScript prints them (-0 as 0), the rest as strings. */
export function jsonNumber(v: number): string {
  if (Number.isFinite(v)) return v === 0 ? '0' : `${v}`;
  return v === Infinity ? '"Infinity"' : v === -Infinity ? '"-Infinity"' : '"NaN"';
}

/** Longest number as JavaScript prints it ("-0.00000012345678901234567"), plus a separator. */
const MAX_NUMBER_BYTES = 27;

/** An append-only byte buffer for one response, which owns its ArrayBuffer (transferable). */
export class JsonWriter {
  private buf: Buffer;
  private pos = 0;
  /** What precedes each inserted part (views of buf) and the parts, in order (insert()). */
  private readonly done: Uint8Array[] = [];
  private chunkStart = 0;

  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(32, capacity));
  }

  get length(): number {
    return this.pos;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(need, Math.ceil(this.buf.length * 1.5)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /**
   * Appends values [from, to) of `data` separated by commas: finite ones as JavaScript prints
   * them, the others as API.md's strings (./wasm/double.ts).
   */
  numbers(data: FloatArray, from: number, to: number): void {
    this.ensure(MAX_NUMBER_BYTES * (to - from));
    this.pos = writeNumbers(data, from, to, this.buf, this.pos);
  }

  /** Appends `count` sibling rows of `len` values of `data` from `offset` as "[..],[..]". */
  rows(data: FloatArray, offset: number, count: number, len: number): void {
    this.ensure(count * (MAX_NUMBER_BYTES * len + 3));
    this.pos = writeRows(data, offset, count, len, this.buf, this.pos);
  }

  /** Appends bytes. */
  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Places `bytes` (a part another thread wrote, in a buffer of its own) here without copying
   * them: the output is then several chunks (chunks()).
   */
  insert(bytes: Uint8Array): void {
    this.done.push(this.buf.subarray(this.chunkStart, this.pos), bytes);
    this.chunkStart = this.pos;
  }

  /** The output in order: views of the writer's buffer, and the parts inserted between them. */
  chunks(): Uint8Array[] {
    const tail = this.buf.subarray(this.chunkStart, this.pos);
    return this.done.length === 0 ? [this.bytes()] : [...this.done, tail];
  }

  /** Appends ASCII text (JSON punctuation, numbers, keys) as bytes. */
  ascii(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  /** Appends `s` without its first and last characters (a JSON array's brackets). */
  asciiInner(s: string): void {
    const n = s.length - 2;
    this.ensure(n);
    this.pos += this.buf.write(s.substring(1, s.length - 1), this.pos, n, 'latin1');
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** Room for `n` bytes written directly at `at()` then committed with `advance(n)`. */
  reserve(n: number): Buffer {
    this.ensure(n);
    return this.buf;
  }

  at(): number {
    return this.pos;
  }

  advance(n: number): void {
    this.pos += n;
  }

  /** The bytes written, as a view of the writer's own buffer (transfer its `.buffer`). */
  bytes(): Uint8Array {
    if (this.done.length > 0) throw new Error('the output has inserted parts: read it with chunks()');
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }

  /** The bytes written, as text (tests, small bodies). */
  text(): string {
    return Buffer.concat(this.chunks()).toString('latin1');
  }
}

const COMMA = 44;
const OPEN = 91;
const CLOSE = 93;

function writeNested(
  out: JsonWriter,
  data: FloatArray,
  shape: readonly number[],
  depth: number,
  offset: number,
  size: number,
): void {
  const rank = shape.length;
  if (depth === rank - 1) {
    out.byte(OPEN);
    out.numbers(data, offset, offset + size);
    out.byte(CLOSE);
    return;
  }
  const len = shape[depth] as number;
  out.byte(OPEN);
  if (len > 0) {
    const inner = size / len;
    if (depth === rank - 2) {
      out.rows(data, offset, len, inner);
    } else {
      for (let i = 0; i < len; i++) {
        if (i > 0) out.byte(COMMA);
        writeNested(out, data, shape, depth + 1, offset + i * inner, inner);
      }
    }
  }
  out.byte(CLOSE);
}

function shapeJson(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Bytes a tensor of `n` elements can take at most in `encoding` (sizes the writer up front). */
export function maxTensorBytes(n: number, rank: number, encoding: Encoding, elementBytes = 8): number {
  const head = 64 + 24 * rank;
  if (encoding === 'b64') return head + 4 * Math.ceil((n * elementBytes) / 3);
  // every value with its separator, and at most two brackets per innermost row and above
  return head + MAX_NUMBER_BYTES * n + 2 * n + 2 * rank;
}

/**
 * Another thread that can write part of a large tensor at the same time (src/pool/worker.ts).
 * `start` hands it `data`'s slices [from, to) along dimension 0 (elements, for `flat`) and
 * returns a function that waits for their text, joined by commas, or null when the helper
 * declined (the caller writes them itself).
 */
export interface Helper {
  /** Tensors with fewer elements than this are not worth a helper. */
  readonly minElements: number;
  start(
    data: FloatArray,
    shape: readonly number[],
    encoding: 'nested' | 'flat',
    from: number,
    to: number,
  ): () => Uint8Array | null;
}

/**
 * The text of a tensor's slices [from, to) along dimension 0 (`nested`), or of its elements
 * [from, to) (`flat`), joined by commas: the part of writeTensor's output a helper writes.
 */
export function writeTensorPart(
  out: JsonWriter,
  data: FloatArray,
  shape: readonly number[],
  encoding: 'nested' | 'flat',
  from: number,
  to: number,
): void {
  if (encoding === 'flat' || shape.length === 1) {
    out.numbers(data, from, to);
    return;
  }
  const d0 = shape[0] as number;
  const inner = d0 === 0 ? 0 : data.length / d0;
  if (shape.length === 2) {
    out.rows(data, from * inner, to - from, inner);
    return;
  }
  for (let i = from; i < to; i++) {
    if (i > from) out.byte(COMMA);
    writeNested(out, data, shape, 1, i * inner, inner);
  }
}

/** Splits along dimension 0 (elements, for flat) at half, with a helper writing the second half. */
function writeShared(
  out: JsonWriter,
  data: FloatArray,
  shape: readonly number[],
  encoding: 'nested' | 'flat',
  helper: Helper,
): void {
  const units = encoding === 'flat' || shape.length === 1 ? data.length : (shape[0] as number);
  const half = Math.floor(units / 2);
  const wait = helper.start(data, shape, encoding, half, units);
  if (encoding === 'flat') out.ascii(`{"shape":${shapeJson(shape)},"data":[`);
  else out.byte(OPEN);
  writeTensorPart(out, data, shape, encoding, 0, half);
  out.byte(COMMA);
  const theirs = wait();
  if (theirs === null) writeTensorPart(out, data, shape, encoding, half, units);
  else out.insert(theirs);
  if (encoding === 'flat') out.ascii(']}');
  else out.byte(CLOSE);
}

/**
 * Writes a tensor as a JSON fragment. `data` holds numel(shape) values, in the request's dtype.
 * With a `helper`, a large nested or flat tensor is written by two threads (same bytes).
 */
export function writeTensor(
  out: JsonWriter,
  data: FloatArray,
  shape: readonly number[],
  encoding: Encoding,
  helper?: Helper,
): void {
  if (
    helper !== undefined &&
    encoding !== 'b64' &&
    shape.length > 0 &&
    data.length >= helper.minElements &&
    (encoding === 'flat' || (shape[0] as number) >= 2)
  ) {
    writeShared(out, data, shape, encoding, helper);
    return;
  }
  if (encoding === 'b64') {
    const dtype = data instanceof Float32Array ? 'float32' : 'float64';
    out.ascii(`{"shape":${shapeJson(shape)},"dtype":"${dtype}","b64":"`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const dst = out.reserve(4 * Math.ceil(bytes.length / 3));
    out.advance(encodeBase64(bytes, dst, out.at()));
    out.ascii('"}');
    return;
  }
  if (encoding === 'flat') {
    out.ascii(`{"shape":${shapeJson(shape)},"data":[`);
    out.numbers(data, 0, data.length);
    out.ascii(']}');
    return;
  }
  if (shape.length === 0) {
    out.ascii(jsonNumber(data[0] as number));
    return;
  }
  writeNested(out, data, shape, 0, 0, data.length);
}

/** A tensor as a JSON fragment, as text (tests and small values; the pipeline writes bytes). */
export function encodeTensor(data: FloatArray, shape: readonly number[], encoding: Encoding): string {
  const out = new JsonWriter(maxTensorBytes(data.length, shape.length, encoding));
  writeTensor(out, data, shape, encoding);
  return out.text();
}
