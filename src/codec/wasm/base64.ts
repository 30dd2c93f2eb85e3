// Base64 between bytes and bytes in WebAssembly SIMD (./assembly/base64.ts, built by
// scripts/build-wasm.sh into ./base64.wasm, which is committed). The text goes through the
// module's fixed 128 KiB memory in chunks: copy in, convert 16 characters ↔ 12 bytes a step,
// copy out. What is left after the last whole step (under 16 characters, and the padding) is
// done by the JS loops of ../base64.ts, so the two paths accept and produce exactly the same.

import { decodeBase64 as decodeJs, encodeBase64 as encodeJs, paddingOf } from '../base64.js';
import { type Global, instantiate } from './instance.js';

interface Exports {
  readonly memory: { readonly buffer: ArrayBuffer };
  readonly IN: Global;
  readonly OUT: Global;
  readonly CHUNK_TEXT: Global;
  readonly CHUNK_BYTES: Global;
  decode(n: number): number;
  encode(n: number): void;
}

interface Module {
  readonly x: Exports;
  readonly mem: Uint8Array;
  readonly inAt: number;
  readonly outAt: number;
  readonly chunkText: number;
  readonly chunkBytes: number;
}

let loaded: Module | undefined;

/** Instantiated on first use, once per thread (each worker has its own). */
function module(): Module {
  if (loaded !== undefined) return loaded;
  const x = instantiate<Exports>('base64');
  loaded = {
    x,
    // the memory never grows (its maximum is its size), so this view stays valid
    mem: new Uint8Array(x.memory.buffer),
    inAt: x.IN.value,
    outAt: x.OUT.value,
    chunkText: x.CHUNK_TEXT.value,
    chunkBytes: x.CHUNK_BYTES.value,
  };
  return loaded;
}

/** As ../base64.ts decodeBase64: false when a character is outside the alphabet. */
export function decodeBase64(text: Uint8Array, out: Uint8Array): boolean {
  const m = module();
  const len = text.length - paddingOf(text);
  const whole = len - (len % 16);
  let i = 0;
  let j = 0;
  while (i < whole) {
    const n = Math.min(m.chunkText, whole - i);
    m.mem.set(text.subarray(i, i + n), m.inAt);
    if (m.x.decode(n) === 0) return false;
    const k = (n / 4) * 3;
    out.set(m.mem.subarray(m.outAt, m.outAt + k), j);
    i += n;
    j += k;
  }
  return i === text.length || decodeJs(text.subarray(i), out.subarray(j));
}

/** As ../base64.ts encodeBase64: standard base64 of `src` into `dst` at `at`; returns the length. */
export function encodeBase64(src: Uint8Array, dst: Uint8Array, at: number): number {
  const m = module();
  const whole = src.length - (src.length % 12);
  let i = 0;
  let j = at;
  while (i < whole) {
    const n = Math.min(m.chunkBytes, whole - i);
    m.mem.set(src.subarray(i, i + n), m.inAt);
    m.x.encode(n);
    const k = (n / 3) * 4;
    dst.set(m.mem.subarray(m.outAt, m.outAt + k), j);
    i += n;
    j += k;
  }
  if (i < src.length) j += encodeJs(src.subarray(i), dst, j);
  return j - at;
}
