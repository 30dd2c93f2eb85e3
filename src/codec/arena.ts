// Request buffers, reused across requests by the thread that runs them.
//
// A fresh 8 MB typed array costs its pages on first touch (up to ~20 ns per element on a
// shared VM, more than a whole mse kernel); a reused one costs a fill(0) at most. So every big
// array of one request (decoded tensors, gradients, kernel scratch) is lent from this pool and
// given back, all at once, by `releaseRequestBuffers()` when the response bytes exist: the
// pipeline is synchronous within a thread, so nothing lent can still be read after that.
// Small arrays (under POOLED_MIN_BYTES) are ordinary allocations: the young generation is
// cheaper than any bookkeeping.
//
// The pool keeps at most RETAINED_MAX_BYTES of free buffers per thread, so memory after many
// requests is bounded by the largest requests seen, never by their number.

import type { FloatArray } from '../numeric/tensor.js';

const POOLED_MIN_BYTES = 64 * 1024;
const RETAINED_MAX_BYTES = 96 * 1024 * 1024;
/** Buffers are sized in steps of this, so slightly different requests share buffers. */
const GRANULE = 64 * 1024;

/** Free buffers, ascending by size. */
const free: ArrayBuffer[] = [];
let freeBytes = 0;
/** Buffers lent to the request in progress. */
const lent: ArrayBuffer[] = [];

function take(bytes: number): ArrayBuffer {
  // the smallest free buffer that fits, unless it would waste more than half of itself
  for (let i = 0; i < free.length; i++) {
    const b = free[i] as ArrayBuffer;
    if (b.byteLength >= bytes) {
      if (b.byteLength > 2 * bytes + GRANULE) break;
      free.splice(i, 1);
      freeBytes -= b.byteLength;
      lent.push(b);
      return b;
    }
  }
  const b = new ArrayBuffer(Math.ceil(bytes / GRANULE) * GRANULE);
  lent.push(b);
  return b;
}

/** A Float64Array of `n` elements, zero-filled unless `zero` is false. */
export function lendFloat64(n: number, zero = true): Float64Array {
  if (n * 8 < POOLED_MIN_BYTES) return new Float64Array(n);
  const a = new Float64Array(take(n * 8), 0, n);
  return zero ? a.fill(0) : a;
}

/** A Float32Array of `n` elements, zero-filled unless `zero` is false. */
export function lendFloat32(n: number, zero = true): Float32Array {
  if (n * 4 < POOLED_MIN_BYTES) return new Float32Array(n);
  const a = new Float32Array(take(n * 4), 0, n);
  return zero ? a.fill(0) : a;
}

/** Bytes, not zero-filled (a decoder's staging area). */
export function lendBytes(n: number): Uint8Array {
  if (n < POOLED_MIN_BYTES) return new Uint8Array(n);
  return new Uint8Array(take(n), 0, n);
}

export function lendFloat(dtype: 'float64' | 'float32', n: number, zero = true): FloatArray {
  return dtype === 'float32' ? lendFloat32(n, zero) : lendFloat64(n, zero);
}

/**
 * Gives back everything lent since the last call. Only once nothing can read those arrays
 * any more: after the response bytes are written.
 */
export function releaseRequestBuffers(): void {
  while (lent.length > 0) {
    const b = lent.pop() as ArrayBuffer;
    let i = 0;
    while (i < free.length && (free[i] as ArrayBuffer).byteLength < b.byteLength) i++;
    free.splice(i, 0, b);
    freeBytes += b.byteLength;
  }
  // over the bound: drop the largest first (the rarest sizes)
  while (freeBytes > RETAINED_MAX_BYTES && free.length > 0) {
    freeBytes -= (free.pop() as ArrayBuffer).byteLength;
  }
}

/**
 * Takes a lent buffer out of the pool for good: its arrays leave this thread (a response part
 * transferred to the main thread), so it must never be lent again. No-op for other buffers.
 */
export function keepFromArena(buffer: ArrayBufferLike): void {
  const i = lent.indexOf(buffer as ArrayBuffer);
  if (i >= 0) lent.splice(i, 1);
}

/** Bytes held for reuse (free) and lent to the request in progress, for tests and benchmarks. */
export function arenaBytes(): { free: number; lent: number } {
  let l = 0;
  for (const b of lent) l += b.byteLength;
  return { free: freeBytes, lent: l };
}
