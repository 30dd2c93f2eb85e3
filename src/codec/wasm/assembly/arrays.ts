// AssemblyScript (compiled by scripts/build-wasm.sh, not by tsc): the large numeric arrays of a
// JSON text, read from its bytes straight into doubles. The text comes through IN a chunk at a
// time (../arrays.ts cuts chunks so that no number straddles two); the scanner keeps its state
// across chunks, skips strings (16 bytes a step), and at each `[` outside a string tries to
// read a rectangular array of JSON numbers, nested to any rank up to maxRank. Anything else
// (a string, an empty or ragged array, a number JSON does not allow) abandons the candidate:
// its bytes are left to JSON.parse, and no candidate starts inside it.
//
// A number is read as JSON.parse reads it, the correctly rounded double: up to 19 significant
// digits into a u64 (eight at a time by SWAR), then Clinger's fast path (an exact integer
// below 2^53 times or over an exact power of ten up to 10^22: one rounding) or Eisel-Lemire
// (Nigel Tao's write-up, https://nigeltao.github.io/blog/2020/eisel-lemire.html, as Go's
// strconv/eisel_lemire.go has it; 64×64→128 from 32-bit parts). What neither can settle
// (more than 19 digits, subnormal or out-of-range results, Eisel-Lemire's rare ambiguous
// halfway cases) is listed as "hard" for the caller to read with V8's own Number().
//
// Memory (grows): the table, IN (a chunk and its sentinel), the hard list of the chunk, the
// finished arrays, then the values from OUT on, 8 bytes each, in the order they appear.

import { umulh } from './common/wide';
import { POW10, POW10_MAX, POW10_MIN } from './tables/pow10';

export const IN: usize = 65536;
export const CHUNK: i32 = 65536;
/** Hard numbers of the current chunk: (value index, start, end), i32 each. */
export const HARD: usize = 196608;
/** Finished arrays: start, end (body offsets), first value, count, rank, then rank dimensions. */
export const ARRAYS: usize = 589824;
export const ARRAY_BYTES: i32 = 64;
export const MAX_ARRAYS: i32 = 1024;
export const OUT: usize = 655360;

const OUTSIDE = 0;
const STRING = 1;
const ESCAPE = 2;
const ARRAY = 3;
const NO_QUIET: i32 = 0x7fffffff;

let mode = OUTSIDE;
/** Brackets and braces open outside arrays being read. */
let depth: i32 = 0;
/** After an abandoned array: no array starts while depth is above this. */
let quietAbove: i32 = NO_QUIET;
let base: i32 = 0;
let cursor: i32 = 0;
let hardCount: i32 = 0;
let arrayCount: i32 = 0;
let minValues: i32 = 0;
let maxValues: i32 = 0;
let maxRank: i32 = 0;

// the array being read
let start: i32 = 0;
let first: i32 = 0;
let outerDepth: i32 = 0;
let level: i32 = 0;
let rank: i32 = 0;
let expectValue = true;
/** Per level (1-based): elements seen in the open array, and the length its first array had. */
const COUNTS: usize = memory.data(64);
const LENS: usize = memory.data(64);

/** 10^0 … 10^22, exact doubles. */
const EXACT: usize = memory.data<f64>([
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
]);

/** Starts a text: arrays of fewer than `min` values are left in it, more than `max` in all abandon. */
export function begin(min: i32, max: i32, ranks: i32): void {
  mode = OUTSIDE;
  depth = 0;
  quietAbove = NO_QUIET;
  cursor = 0;
  arrayCount = 0;
  minValues = min;
  maxValues = max;
  maxRank = ranks;
}

export function hards(): i32 {
  return hardCount;
}

export function arrays(): i32 {
  return arrayCount;
}

// ---------------------------------------------------------------- numbers

let parsed: f64 = 0;

/** man · 10^exp10 (man ≠ 0) correctly rounded into `parsed`, or false when not certain. */
function eiselLemire(man: u64, exp10: i32, neg: bool): bool {
  if (exp10 < POW10_MIN || exp10 > POW10_MAX) return false;
  const pow = POW10 + ((<usize>(exp10 - POW10_MIN)) << 4);
  const powLo = load<u64>(pow);
  const powHi = load<u64>(pow, 8);
  // Normalization.
  const shift = <i32>clz<u64>(man);
  man <<= <u64>shift;
  // floor(exp10 · log2 10), in i32 (a u64 context would make the shift a logical one)
  const log2: i32 = (217706 * exp10) >> 16;
  let retExp2 = <u64>(<i64>(log2 + 64 + 1023) - <i64>shift);
  // Multiplication.
  let xHi = umulh(man, powHi);
  let xLo = man * powHi;
  // Wider Approximation.
  if ((xHi & 0x1ff) === 0x1ff && xLo + man < man) {
    const yHi = umulh(man, powLo);
    const yLo = man * powLo;
    let mergedHi = xHi;
    const mergedLo = xLo + yHi;
    if (mergedLo < xLo) mergedHi++;
    if ((mergedHi & 0x1ff) === 0x1ff && mergedLo + 1 === 0 && yLo + man < man) return false;
    xHi = mergedHi;
    xLo = mergedLo;
  }
  // Shifting to 54 Bits.
  const msb = xHi >> 63;
  let retMantissa = xHi >> (msb + 9);
  retExp2 -= 1 ^ msb;
  // Half-way Ambiguity.
  if (xLo === 0 && (xHi & 0x1ff) === 0 && (retMantissa & 3) === 1) return false;
  // From 54 to 53 Bits.
  retMantissa += retMantissa & 1;
  retMantissa >>= 1;
  if (retMantissa >> 53 > 0) {
    retMantissa >>= 1;
    retExp2 += 1;
  }
  // subnormal (0 or below, wrapped) or infinite (0x7FF or above)
  if (retExp2 - 1 >= 0x7ff - 1) return false;
  let bits = (retExp2 << 52) | (retMantissa & 0x000fffffffffffff);
  if (neg) bits |= 0x8000000000000000;
  parsed = reinterpret<f64>(bits);
  return true;
}

function isDigit(c: u32): bool {
  return c - 0x30 < 10;
}

/** Eight ASCII digits in a little-endian u64? (fast_float's is_made_of_eight_digits_fast) */
function eightDigits(w: u64): bool {
  return ((w & 0xf0f0f0f0f0f0f0f0) | (((w + 0x0606060606060606) & 0xf0f0f0f0f0f0f0f0) >> 4)) === 0x3333333333333333;
}

/** Their value (fast_float's parse_eight_digits_unrolled). */
function eightValue(w: u64): u64 {
  w -= 0x3030303030303030;
  w = w * 10 + (w >> 8);
  return ((w & 0x000000ff000000ff) * 0x000f424000000064 + ((w >> 16) & 0x000000ff000000ff) * 0x0000271000000001) >> 32;
}

/**
 * Reads the JSON number at p (a '-' or a digit) into the next value; returns the position
 * after it, or 0 when the text there is not a JSON number.
 */
function number(p: usize): usize {
  const from = p;
  // without a branch: the signs of real data are a coin toss
  const neg = load<u8>(p) === 0x2d;
  p += <usize>neg;
  let c = <u32>load<u8>(p);
  let man: u64 = 0;
  // significant digits in man (JSON has no leading zeros but the "0" of "0.x")
  let digits: i32 = 0;
  let exp10: i32 = 0;
  if (c === 0x30) {
    p++;
  } else if (c - 0x31 < 9) {
    do {
      man = man * 10 + <u64>(c - 0x30);
      digits++;
      c = <u32>load<u8>(++p);
    } while (isDigit(c));
  } else {
    return 0;
  }
  if (load<u8>(p) === 0x2e) {
    const frac = ++p;
    if (digits === 0) while (load<u8>(p) === 0x30) p++;
    const sig = p;
    for (;;) {
      const w = load<u64>(p);
      if (!eightDigits(w)) break;
      man = man * 100000000 + eightValue(w);
      p += 8;
    }
    c = <u32>load<u8>(p);
    while (isDigit(c)) {
      man = man * 10 + <u64>(c - 0x30);
      c = <u32>load<u8>(++p);
    }
    if (p === frac) return 0;
    digits += <i32>(p - sig);
    exp10 = -(<i32>(p - frac));
  }
  if ((load<u8>(p) | 0x20) === 0x65) {
    c = <u32>load<u8>(++p);
    let negExp = false;
    if (c === 0x2d || c === 0x2b) {
      negExp = c === 0x2d;
      c = <u32>load<u8>(++p);
    }
    if (!isDigit(c)) return 0;
    let e: i32 = 0;
    do {
      if (e < 100000) e = e * 10 + <i32>(c - 0x30);
      c = <u32>load<u8>(++p);
    } while (isDigit(c));
    exp10 += negExp ? -e : e;
  }

  const at = OUT + ((<usize>cursor) << 3);
  if (digits <= 19) {
    if (man === 0) {
      store<f64>(at, neg ? -0.0 : 0.0);
      cursor++;
      return p;
    }
    if (man <= 9007199254740992 && exp10 >= -22 && exp10 <= 22) {
      // Clinger: both operands exact, so the one rounding is the correct one
      const m = <f64>man;
      const v =
        exp10 < 0 ? m / load<f64>(EXACT + ((<usize>-exp10) << 3)) : m * load<f64>(EXACT + ((<usize>exp10) << 3));
      store<f64>(at, neg ? -v : v);
      cursor++;
      return p;
    }
    if (eiselLemire(man, exp10, neg)) {
      store<f64>(at, parsed);
      cursor++;
      return p;
    }
  }
  const h = HARD + <usize>hardCount * 12;
  store<i32>(h, cursor);
  store<i32>(h, base + <i32>(from - IN), 4);
  store<i32>(h, base + <i32>(p - IN), 8);
  hardCount++;
  store<f64>(at, 0);
  cursor++;
  return p;
}

// ---------------------------------------------------------------- arrays

function isSpace(c: u32): bool {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Drops the array being read: its values, its hard numbers; its bytes are rescanned from p. */
function abandon(p: usize): usize {
  cursor = first;
  while (hardCount > 0 && load<i32>(HARD + <usize>(hardCount - 1) * 12) >= cursor) hardCount--;
  mode = OUTSIDE;
  depth = outerDepth + level;
  quietAbove = outerDepth;
  return p;
}

/** The array closed at p (after its `]`): kept when large enough, else dropped. */
function finish(p: usize): void {
  mode = OUTSIDE;
  const count = cursor - first;
  if (count < minValues || arrayCount >= MAX_ARRAYS) {
    cursor = first;
    while (hardCount > 0 && load<i32>(HARD + <usize>(hardCount - 1) * 12) >= cursor) hardCount--;
    return;
  }
  const a = ARRAYS + <usize>arrayCount * ARRAY_BYTES;
  store<i32>(a, start);
  store<i32>(a, base + <i32>(p - IN), 4);
  store<i32>(a, first, 8);
  store<i32>(a, count, 12);
  store<i32>(a, rank, 16);
  for (let d = 1; d <= rank; d++) store<i32>(a + 16 + ((<usize>d) << 2), load<i32>(LENS + ((<usize>d) << 2)));
  arrayCount++;
}

/** Reads the array being read from p on; returns where it stopped (end, or where it left). */
function readArray(p: usize, end: usize, last: bool): usize {
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (isSpace(c)) {
      p++;
      continue;
    }
    if (expectValue) {
      if (c === 0x5b) {
        // an array where numbers are (rank known), or deeper than any tensor
        if ((rank !== 0 && level >= rank) || level >= maxRank) return abandon(p);
        level++;
        store<i32>(COUNTS + ((<usize>level) << 2), 0);
        p++;
        continue;
      }
      if (c !== 0x2d && !isDigit(c)) return abandon(p);
      if (rank === 0) rank = level;
      else if (level !== rank) return abandon(p);
      // numbers separated by bare commas, the common case, in one tight loop
      const k = COUNTS + ((<usize>level) << 2);
      let count = load<i32>(k);
      for (;;) {
        if (cursor >= maxValues) return abandon(p);
        const q = number(p);
        // not a number, or one that may go on in the next chunk
        if (q === 0 || (q >= end && !last)) return abandon(p);
        count++;
        p = q;
        if (load<u8>(p) !== 0x2c) break;
        const d = <u32>load<u8>(p + 1);
        if (d !== 0x2d && !isDigit(d)) break;
        p++;
      }
      store<i32>(k, count);
      expectValue = false;
      continue;
    }
    if (c === 0x2c) {
      expectValue = true;
      p++;
      continue;
    }
    if (c !== 0x5d) return abandon(p);
    const n = load<i32>(COUNTS + ((<usize>level) << 2));
    const len = LENS + ((<usize>level) << 2);
    if (load<i32>(len) < 0) store<i32>(len, n);
    else if (load<i32>(len) !== n) return abandon(p);
    level--;
    p++;
    if (level === 0) {
      finish(p);
      return p;
    }
    const k = COUNTS + ((<usize>level) << 2);
    store<i32>(k, load<i32>(k) + 1);
  }
  return p;
}

/** The first quote or backslash at or after p (or end): 16 bytes a step. */
function skipString(p: usize, end: usize): usize {
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  while (p + 16 <= end) {
    const v = v128.load(p);
    if (v128.any_true(v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)))) break;
    p += 16;
  }
  while (p < end) {
    const c = load<u8>(p);
    if (c === 0x22 || c === 0x5c) break;
    p++;
  }
  return p;
}

/**
 * Scans the `len` bytes at IN, which are the text's bytes from offset `at` on; `last` when
 * they are its end. Returns 1, or 0 when the values would not fit in memory (the caller then
 * parses the text as it is).
 */
export function scan(len: i32, at: i32, last: bool): i32 {
  base = at;
  hardCount = 0;
  // room for every number this chunk could hold (one per two bytes); growing may copy the
  // whole memory, so it grows by half again at least
  const need = OUT + ((<usize>cursor + <usize>(len >> 1) + 2) << 3);
  const have = (<usize>memory.size()) << 16;
  if (need > have) {
    const pages = <i32>((max(need, have + (have >> 1)) - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0 && memory.grow(<i32>((need - have + 0xffff) >> 16)) < 0) return 0;
  }
  // sentinels: every digit loop stops at the end
  store<u64>(IN + <usize>len, 0);
  store<u64>(IN + <usize>len, 0, 8);
  let p = IN;
  const end = IN + <usize>len;
  while (p < end) {
    if (mode === ARRAY) {
      p = readArray(p, end, last);
      continue;
    }
    if (mode === STRING) {
      p = skipString(p, end);
      if (p >= end) break;
      mode = load<u8>(p) === 0x22 ? OUTSIDE : ESCAPE;
      p++;
      continue;
    }
    if (mode === ESCAPE) {
      mode = STRING;
      p++;
      continue;
    }
    const c = load<u8>(p);
    if (c === 0x22) {
      mode = STRING;
    } else if (c === 0x5b) {
      if (depth <= quietAbove) {
        mode = ARRAY;
        start = base + <i32>(p - IN);
        first = cursor;
        outerDepth = depth;
        level = 1;
        rank = 0;
        expectValue = true;
        store<i32>(COUNTS + 4, 0);
        for (let d = 1; d <= maxRank; d++) store<i32>(LENS + ((<usize>d) << 2), -1);
      } else {
        depth++;
      }
    } else if (c === 0x7b) {
      depth++;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
      if (depth === quietAbove) quietAbove = NO_QUIET;
    }
    p++;
  }
  if (last && mode === ARRAY) abandon(end);
  return 1;
}
