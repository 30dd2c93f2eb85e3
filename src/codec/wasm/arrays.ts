// The large numeric arrays of a JSON text, read from its bytes by ./assembly/arrays.ts (built
// into ./arrays.wasm): each one's place in the text, its shape, and its values as a
// Float64Array over the module's memory, where the reader wrote them (no JS array, no string
// of the text). The text goes through the module a chunk at a time, each chunk ending before
// a number's first byte, never inside one; numbers the module cannot settle are read here by
// Number(), which rounds exactly as JSON.parse does.
//
// The values stay valid until the next read on this thread (each thread has its own module).
// A module whose memory grew past RETAINED_BYTES is dropped after use, so that one huge
// request does not hold its values for the life of the worker.

import { type Global, instantiate } from './instance.js';

interface Exports {
  readonly memory: { readonly buffer: ArrayBuffer };
  readonly IN: Global;
  readonly CHUNK: Global;
  readonly HARD: Global;
  readonly ARRAYS: Global;
  readonly ARRAY_BYTES: Global;
  readonly OUT: Global;
  begin(min: number, max: number, ranks: number): void;
  scan(len: number, at: number, last: number): number;
  hards(): number;
  arrays(): number;
}

/** A rectangular array of numbers read from the text. */
export interface ReadArray {
  /** Its bytes in the text: from its `[` to just after its `]`. */
  readonly start: number;
  readonly end: number;
  readonly shape: readonly number[];
  readonly values: Float64Array;
}

export interface ReadLimits {
  /** Arrays with fewer values stay in the text. */
  readonly minValues: number;
  /** Values in all arrays together, beyond which the rest stay in the text. */
  readonly maxValues: number;
  readonly maxRank: number;
}

const RETAINED_BYTES = 32 * 1024 * 1024;
/** The module's largest memory (scripts/build-wasm.sh: 16384 pages). */
const MEMORY_BYTES = 1024 * 1024 * 1024;

let loaded: Exports | undefined;

/** Bytes that may be part of a number: a chunk never ends on one (unless it is all number). */
function inNumber(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

/**
 * The text's rectangular numeric arrays of at least `minValues` values, outermost only, in
 * order; null when there are none or the module could not hold them. `skip` holds [start, end)
 * pairs, in order, of string contents to pass over (seen as empty strings).
 */
export function readArrays(text: Uint8Array, limits: ReadLimits, skip: readonly number[] = []): ReadArray[] | null {
  loaded ??= instantiate<Exports>('arrays');
  const x = loaded;
  const IN = x.IN.value;
  const CHUNK = x.CHUNK.value;
  const HARD = x.HARD.value;
  // at most what its memory can hold beside the fixed regions (and a chunk's growth)
  const room = (MEMORY_BYTES - x.OUT.value) / 8 - CHUNK;
  x.begin(limits.minValues, Math.min(limits.maxValues, room), limits.maxRank);
  const n = text.length;
  // the parts between the skipped spans, each in chunks
  for (let part = 0; part <= skip.length; part += 2) {
    const partEnd = part < skip.length ? (skip[part] as number) : n;
    for (let from = part === 0 ? 0 : (skip[part - 1] as number); from < partEnd; ) {
      let to = Math.min(from + CHUNK, partEnd);
      if (to < partEnd) {
        let cut = to;
        while (cut > from && inNumber(text[cut - 1] as number)) cut--;
        if (cut > from) to = cut;
      }
      new Uint8Array(x.memory.buffer, IN, to - from).set(text.subarray(from, to));
      if (x.scan(to - from, from, to === n ? 1 : 0) === 0) return null;
      const hards = x.hards();
      if (hards > 0) {
        // memory may have grown: fresh views
        const hard = new Int32Array(x.memory.buffer, HARD, hards * 3);
        const values = new Float64Array(x.memory.buffer, x.OUT.value);
        for (let i = 0; i < hards; i++) {
          const at = hard[3 * i] as number;
          const s = hard[3 * i + 1] as number;
          const e = hard[3 * i + 2] as number;
          values[at] = Number(Buffer.from(text.buffer, text.byteOffset + s, e - s).toString('latin1'));
        }
      }
      from = to;
    }
  }
  const count = x.arrays();
  if (count === 0) return null;
  const ARRAYS = x.ARRAYS.value;
  const stride = x.ARRAY_BYTES.value / 4;
  const meta = new Int32Array(x.memory.buffer, ARRAYS, count * stride);
  const out: ReadArray[] = [];
  for (let i = 0; i < count; i++) {
    const m = i * stride;
    const rank = meta[m + 4] as number;
    out.push({
      start: meta[m] as number,
      end: meta[m + 1] as number,
      shape: Array.from(meta.subarray(m + 5, m + 5 + rank)),
      values: new Float64Array(x.memory.buffer, x.OUT.value + 8 * (meta[m + 2] as number), meta[m + 3] as number),
    });
  }
  return out;
}

/** Lets a module that grew large go (its memory with it) once nothing reads its values. */
export function releaseArrays(): void {
  if (loaded !== undefined && loaded.memory.buffer.byteLength > RETAINED_BYTES) loaded = undefined;
}
