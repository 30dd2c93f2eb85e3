// Runs of doubles as JSON numbers, written as JavaScript prints them (Number::toString, the
// shortest round-trip form; -0 as 0) and non-finite ones as API.md's strings, by Ryu in
// WebAssembly (./assembly/double.ts, built into ./double.wasm). The values go through the
// module's fixed memory in chunks: copied in as float64 (float32 values widen exactly), their
// text copied out.

import { type Global, instantiate } from './instance.js';

interface Exports {
  readonly memory: { readonly buffer: ArrayBuffer };
  readonly IN: Global;
  readonly IN_MAX: Global;
  readonly OUT: Global;
  numbers(n: number): number;
  rows(count: number, len: number): number;
}

interface Module {
  readonly x: Exports;
  readonly values: Float64Array;
  readonly text: Uint8Array;
  readonly chunk: number;
}

let loaded: Module | undefined;

function module(): Module {
  if (loaded !== undefined) return loaded;
  const x = instantiate<Exports>('double');
  // the memory never grows (its maximum is its size), so these views stay valid
  const out = x.OUT.value;
  loaded = {
    x,
    values: new Float64Array(x.memory.buffer, x.IN.value, x.IN_MAX.value),
    text: new Uint8Array(x.memory.buffer, out, x.memory.buffer.byteLength - out),
    chunk: x.IN_MAX.value,
  };
  return loaded;
}

/** Bytes a number may take, with its separator. */
export const NUMBER_BYTES = 28;
/** Rows at least this long are written a row per call. */
const LONG_ROW = 64;

/**
 * Writes values [from, to) of `data` into `buf` at `pos`, separated by commas; returns the
 * position after them. `buf` needs NUMBER_BYTES a value of room.
 */
export function writeNumbers(
  data: Float64Array | Float32Array,
  from: number,
  to: number,
  buf: Uint8Array,
  pos: number,
): number {
  const m = module();
  let at = pos;
  for (let i = from; i < to; ) {
    const n = Math.min(m.chunk, to - i);
    m.values.set(data.subarray(i, i + n));
    const len = m.x.numbers(n);
    if (i > from) buf[at++] = 44; // ,
    buf.set(m.text.subarray(0, len), at);
    at += len;
    i += n;
  }
  return at;
}

/**
 * Writes `count` rows of `len` values of `data` from `offset` into `buf` at `pos` as
 * "[..],[..]"; returns the position after them. `buf` needs NUMBER_BYTES a value and 3 a row
 * of room.
 */
export function writeRows(
  data: Float64Array | Float32Array,
  offset: number,
  count: number,
  len: number,
  buf: Uint8Array,
  pos: number,
): number {
  let at = pos;
  if (len >= LONG_ROW || len === 0) {
    for (let r = 0; r < count; r++) {
      if (r > 0) buf[at++] = 44;
      buf[at++] = 91;
      at = writeNumbers(data, offset + r * len, offset + (r + 1) * len, buf, at);
      buf[at++] = 93;
    }
    return at;
  }
  const m = module();
  const perChunk = Math.floor(m.chunk / len);
  for (let r = 0; r < count; ) {
    const k = Math.min(perChunk, count - r);
    const from = offset + r * len;
    m.values.set(data.subarray(from, from + k * len));
    const n = m.x.rows(k, len);
    if (r > 0) buf[at++] = 44;
    buf.set(m.text.subarray(0, n), at);
    at += n;
    r += k;
  }
  return at;
}
