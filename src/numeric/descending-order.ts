// A stable sort of float values in decreasing order, as torch.sort(descending=True) orders them
// when its sort is stable: NaN first (above +inf), equal values (-0 equal to 0) in index order.
// The Lovász losses sort one set of errors per class or image with it; above a few hundred
// values a radix sort of the values' bit patterns is several times faster than a comparison sort.

import type { FloatArray } from './tensor.js';

/** The order of up to `capacity` values, and the radix sort's buffers (made on first use). */
export interface SortScratch {
  readonly order: Int32Array;
  radix: RadixBuffers | null;
}

interface RadixBuffers {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly hi2: Uint32Array;
  readonly lo2: Uint32Array;
  readonly order2: Int32Array;
}

export function sortScratch(capacity: number): SortScratch {
  return { order: new Int32Array(capacity), radix: null };
}

/** Below this many values a comparison sort is as fast as the radix sort's passes. */
const RADIX_MIN = 512;

/**
 * The indices of `values[0..n)` by decreasing value, stably (equal values by increasing index,
 * -0 equal to 0; NaN first), written to `s.order[0..n)` and returned as that subarray.
 */
export function sortDescending(values: FloatArray, n: number, s: SortScratch): Int32Array {
  const o = s.order.subarray(0, n);
  if (n < RADIX_MIN || !LITTLE_ENDIAN) {
    comparisonSort(values, o);
    return o;
  }
  if (s.radix === null || s.radix.hi.length < n) {
    const size = s.order.length;
    s.radix = {
      hi: new Uint32Array(size),
      lo: new Uint32Array(size),
      hi2: new Uint32Array(size),
      lo2: new Uint32Array(size),
      order2: new Int32Array(size),
    };
  }
  radixSort(values, s.radix, o, n);
  return o;
}

function comparisonSort(errors: FloatArray, o: Int32Array): void {
  for (let k = 0; k < o.length; k++) o[k] = k;
  o.sort((i, j) => {
    const a = errors[i]!;
    const b = errors[j]!;
    if (a > b) return -1;
    if (a < b) return 1;
    if (a !== b) {
      // at least one NaN: NaN is the largest
      const aNaN = Number.isNaN(a);
      if (aNaN !== Number.isNaN(b)) return aNaN ? -1 : 1;
    }
    return i - j;
  });
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const F64 = new Float64Array(1);
const F64_WORDS = new Uint32Array(F64.buffer);
const F32 = new Float32Array(1);
const F32_WORD = new Uint32Array(F32.buffer);
const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
const counts = new Int32Array(BUCKETS);

/**
 * A least-significant-digit radix sort of the errors' bit patterns, mapped so that ascending
 * keys are descending errors: a positive float's bits with all but the sign flipped, a negative
 * float's bits as they are (IEEE order reversed), NaN as 0 (first) and -0 as 0. Each pass is
 * stable, and the order starts as 0..n-1, so equal errors stay in index order. 11-bit digits,
 * three passes over the high 32 bits (float32: all of them; a pass whose digit is the same for
 * every key is skipped), then float64's runs of equal high words are sorted by their low words.
 */
function radixSort(errors: FloatArray, b: RadixBuffers, out: Int32Array, n: number): void {
  const wide = !(errors instanceof Float32Array);
  let hi = b.hi;
  let lo = b.lo;
  let hi2 = b.hi2;
  let lo2 = b.lo2;
  let order: Int32Array = out;
  let order2 = b.order2;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    const v = errors[i]!;
    if (Number.isNaN(v)) {
      hi[i] = 0;
      lo[i] = 0;
    } else if (wide) {
      F64[0] = v === 0 ? 0 : v;
      const h = F64_WORDS[1]!;
      const l = F64_WORDS[0]!;
      const negative = h >>> 31 === 1;
      hi[i] = negative ? h : h ^ 0x7fffffff;
      lo[i] = negative ? l : ~l;
    } else {
      F32[0] = v === 0 ? 0 : v;
      const w = F32_WORD[0]!;
      hi[i] = w >>> 31 === 1 ? w : w ^ 0x7fffffff;
    }
  }
  for (let shift = 0; shift < 32; shift += DIGIT_BITS) {
    counts.fill(0);
    for (let k = 0; k < n; k++) {
      const d = (hi[k]! >>> shift) & (BUCKETS - 1);
      counts[d] = counts[d]! + 1;
    }
    let skip = false;
    let total = 0;
    for (let d = 0; d < BUCKETS; d++) {
      const c = counts[d]!;
      if (c === n) skip = true;
      counts[d] = total;
      total += c;
    }
    if (skip) continue;
    for (let k = 0; k < n; k++) {
      const d = (hi[k]! >>> shift) & (BUCKETS - 1);
      const at = counts[d]!;
      counts[d] = at + 1;
      order2[at] = order[k]!;
      hi2[at] = hi[k]!;
      if (wide) lo2[at] = lo[k]!;
    }
    [order, order2] = [order2, order];
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
  }
  // float64: the low words only break ties of the high ones, in runs that are short unless
  // many errors share their leading 20 mantissa bits
  if (wide) {
    let start = 0;
    for (let k = 1; k <= n; k++) {
      if (k < n && hi[k] === hi[start]) continue;
      if (k - start > 1) sortRunByLowWord(order, lo, start, k);
      start = k;
    }
  }
  if (order !== out) out.set(order.subarray(0, n));
}

/** Stably sorts `order[start..end)` by `lo` (kept in step), whose entries are in index order. */
function sortRunByLowWord(order: Int32Array, lo: Uint32Array, start: number, end: number): void {
  if (end - start <= 32) {
    for (let i = start + 1; i < end; i++) {
      const l = lo[i]!;
      const o = order[i]!;
      let j = i - 1;
      while (j >= start && lo[j]! > l) {
        lo[j + 1] = lo[j]!;
        order[j + 1] = order[j]!;
        j--;
      }
      lo[j + 1] = l;
      order[j + 1] = o;
    }
    return;
  }
  const run = order.slice(start, end);
  const low = lo.slice(start, end);
  const at = Int32Array.from({ length: end - start }, (_, i) => i);
  at.sort((a, b) => low[a]! - low[b]! || a - b);
  for (let i = 0; i < at.length; i++) order[start + i] = run[at[i]!]!;
}
