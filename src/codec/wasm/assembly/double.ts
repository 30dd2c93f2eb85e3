// AssemblyScript (compiled by scripts/build-wasm.sh, not by tsc): doubles as JavaScript prints
// them (Number::toString, which JSON.stringify also uses: the shortest decimal that reads back
// to the same double, the closest one when several are as short, the even one at a tie), as
// the JSON of a comma-separated run of numbers. The digits come from Ryu (Ulf Adams, PLDI
// 2018; the reference d2s.c without 128-bit integers, its 64×64→128 products made of 32-bit
// parts); the layout is Number::toString's. Non-finite values are API.md's strings.
//
// Memory layout (two 64 KiB pages, fixed): the tables, then up to IN_MAX doubles at IN, the
// text at OUT (at most 28 bytes a number, separator included).

import { umulh } from './common/wide';
import { POW5_INV_SPLIT, POW5_SPLIT } from './tables/pow5';

export const IN: usize = 32768;
export const IN_MAX: i32 = 2048;
export const OUT: usize = 65536;

// Divisions of u64 by constants as multiplications (V8 emits a hardware division for i64.div_u)
function div5(x: u64): u64 {
  return umulh(x, 0xcccccccccccccccd) >> 2;
}

function div10(x: u64): u64 {
  return umulh(x, 0xcccccccccccccccd) >> 3;
}

function div100(x: u64): u64 {
  return umulh(x >> 2, 0x28f5c28f5c28f5c3) >> 2;
}

function div1e8(x: u64): u64 {
  return umulh(x, 0xabcc77118461cefd) >> 26;
}

function shiftRight128(lo: u64, hi: u64, dist: i32): u64 {
  return (hi << (<u64>(64 - dist))) | (lo >> <u64>dist);
}

let vpOut: u64 = 0;
let vmOut: u64 = 0;

/**
 * Ryu's mulShiftAll64 for machines without 128-bit products: (4m · mul) >> j, and the same for
 * 4m + 2 (into vpOut) and 4m - 1 - mmShift (into vmOut), from two 64×128-bit products.
 */
function mulShiftAll64(m: u64, mul: usize, j: i32, mmShift: u64): u64 {
  const mul0 = load<u64>(mul);
  const mul1 = load<u64>(mul, 8);
  m <<= 1;
  const lo = m * mul0;
  const tmp = umulh(m, mul0);
  const mid = tmp + m * mul1;
  let hi = umulh(m, mul1);
  if (mid < tmp) hi++;

  const lo2 = lo + mul0;
  const mid2 = mid + mul1 + (lo2 < lo ? 1 : 0);
  const hi2 = hi + (mid2 < mid ? 1 : 0);
  vpOut = shiftRight128(mid2, hi2, j - 64 - 1);
  if (mmShift === 1) {
    const lo3 = lo - mul0;
    const mid3 = mid - mul1 - (lo3 > lo ? 1 : 0);
    const hi3 = hi - (mid3 > mid ? 1 : 0);
    vmOut = shiftRight128(mid3, hi3, j - 64 - 1);
  } else {
    const lo3 = lo + lo;
    const mid3 = mid + mid + (lo3 < lo ? 1 : 0);
    const hi3 = hi + hi + (mid3 < mid ? 1 : 0);
    const lo4 = lo3 - mul0;
    const mid4 = mid3 - mul1 - (lo4 > lo3 ? 1 : 0);
    const hi4 = hi3 - (mid4 > mid3 ? 1 : 0);
    vmOut = shiftRight128(mid4, hi4, j - 64);
  }
  return shiftRight128(mid, hi, j - 64 - 1);
}

function pow5bits(e: i32): i32 {
  return ((e * 1217359) >>> 19) + 1;
}

function log10Pow2(e: i32): i32 {
  return (e * 78913) >>> 18;
}

function log10Pow5(e: i32): i32 {
  return (e * 732923) >>> 20;
}

function pow5Factor(v: u64): i32 {
  let count = 0;
  for (;;) {
    const q = div5(v);
    if (v - 5 * q !== 0) break;
    v = q;
    count++;
  }
  return count;
}

function multipleOfPowerOf5(v: u64, p: i32): bool {
  return pow5Factor(v) >= p;
}

function multipleOfPowerOf2(v: u64, p: i32): bool {
  return (v & (((<u64>1) << p) - 1)) === 0;
}

/** The digits of the last d2d, and its decimal exponent (value = digits · 10^exp). */
let outDigits: u64 = 0;
let outExp: i32 = 0;

/** Ryu's d2d: the shortest, closest decimal for a finite, non-zero double's bits. */
function d2d(mantissa: u64, exponent: u32): void {
  let e2: i32;
  let m2: u64;
  if (exponent === 0) {
    e2 = 1 - 1023 - 52 - 2;
    m2 = mantissa;
  } else {
    e2 = <i32>exponent - 1023 - 52 - 2;
    m2 = ((<u64>1) << 52) | mantissa;
  }
  const even = (m2 & 1) === 0;
  const acceptBounds = even;
  const mv = 4 * m2;
  const mmShift: u64 = mantissa !== 0 || exponent <= 1 ? 1 : 0;
  let vr: u64;
  let vp: u64;
  let vm: u64;
  let e10: i32;
  let vmIsTrailingZeros = false;
  let vrIsTrailingZeros = false;
  if (e2 >= 0) {
    const q = log10Pow2(e2) - (e2 > 3 ? 1 : 0);
    e10 = q;
    const k = 125 + pow5bits(q) - 1;
    const i = -e2 + q + k;
    const mul = POW5_INV_SPLIT + ((<usize>q) << 4);
    vr = mulShiftAll64(m2, mul, i, mmShift);
    vp = vpOut;
    vm = vmOut;
    if (q <= 21) {
      const mvMod5 = mv - 5 * div5(mv);
      if (mvMod5 === 0) vrIsTrailingZeros = multipleOfPowerOf5(mv, q);
      else if (acceptBounds) vmIsTrailingZeros = multipleOfPowerOf5(mv - 1 - mmShift, q);
      else vp -= multipleOfPowerOf5(mv + 2, q) ? 1 : 0;
    }
  } else {
    const q = log10Pow5(-e2) - (-e2 > 1 ? 1 : 0);
    e10 = q + e2;
    const i = -e2 - q;
    const k = pow5bits(i) - 125;
    const j = q - k;
    const mul = POW5_SPLIT + ((<usize>i) << 4);
    vr = mulShiftAll64(m2, mul, j, mmShift);
    vp = vpOut;
    vm = vmOut;
    if (q <= 1) {
      vrIsTrailingZeros = true;
      if (acceptBounds) vmIsTrailingZeros = mmShift === 1;
      else vp--;
    } else if (q < 63) {
      vrIsTrailingZeros = multipleOfPowerOf2(mv, q);
    }
  }
  let removed = 0;
  let lastRemovedDigit: u64 = 0;
  let output: u64;
  if (vmIsTrailingZeros || vrIsTrailingZeros) {
    for (;;) {
      const vpDiv10 = div10(vp);
      const vmDiv10 = div10(vm);
      if (vpDiv10 <= vmDiv10) break;
      const vmMod10 = vm - 10 * vmDiv10;
      const vrDiv10 = div10(vr);
      const vrMod10 = vr - 10 * vrDiv10;
      vmIsTrailingZeros = vmIsTrailingZeros && vmMod10 === 0;
      vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit === 0;
      lastRemovedDigit = vrMod10;
      vr = vrDiv10;
      vp = vpDiv10;
      vm = vmDiv10;
      removed++;
    }
    if (vmIsTrailingZeros) {
      for (;;) {
        const vmDiv10 = div10(vm);
        const vmMod10 = vm - 10 * vmDiv10;
        if (vmMod10 !== 0) break;
        const vpDiv10 = div10(vp);
        const vrDiv10 = div10(vr);
        const vrMod10 = vr - 10 * vrDiv10;
        vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit === 0;
        lastRemovedDigit = vrMod10;
        vr = vrDiv10;
        vp = vpDiv10;
        vm = vmDiv10;
        removed++;
      }
    }
    if (vrIsTrailingZeros && lastRemovedDigit === 5 && (vr & 1) === 0) lastRemovedDigit = 4;
    output = vr + ((vr === vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5 ? 1 : 0);
  } else {
    let roundUp = false;
    const vpDiv100 = div100(vp);
    const vmDiv100 = div100(vm);
    if (vpDiv100 > vmDiv100) {
      const vrDiv100 = div100(vr);
      const vrMod100 = vr - 100 * vrDiv100;
      roundUp = vrMod100 >= 50;
      vr = vrDiv100;
      vp = vpDiv100;
      vm = vmDiv100;
      removed += 2;
    }
    for (;;) {
      const vpDiv10 = div10(vp);
      const vmDiv10 = div10(vm);
      if (vpDiv10 <= vmDiv10) break;
      const vrDiv10 = div10(vr);
      const vrMod10 = vr - 10 * vrDiv10;
      roundUp = vrMod10 >= 5;
      vr = vrDiv10;
      vp = vpDiv10;
      vm = vmDiv10;
      removed++;
    }
    output = vr + (vr === vm || roundUp ? 1 : 0);
  }
  outDigits = output;
  outExp = e10 + removed;
}

/** Digits of v (v < 10^17), counted from the top: most numbers here have 15 to 17. */
function decimalLength(v: u64): i32 {
  if (v >= 10000000000000000) return 17;
  if (v >= 1000000000000000) return 16;
  if (v >= 100000000000000) return 15;
  if (v >= 10000000000000) return 14;
  if (v >= 1000000000000) return 13;
  if (v >= 100000000000) return 12;
  if (v >= 10000000000) return 11;
  if (v >= 1000000000) return 10;
  let n = 1;
  let x = <u32>v;
  while (x >= 10) {
    n++;
    x /= 10;
  }
  return n;
}

/** "00".."99": both digits of i at 2·i. */
const PAIRS: usize = memory.data<u8>([
  48, 48, 48, 49, 48, 50, 48, 51, 48, 52, 48, 53, 48, 54, 48, 55, 48, 56, 48, 57, 49, 48, 49, 49, 49, 50, 49, 51, 49,
  52, 49, 53, 49, 54, 49, 55, 49, 56, 49, 57, 50, 48, 50, 49, 50, 50, 50, 51, 50, 52, 50, 53, 50, 54, 50, 55, 50, 56,
  50, 57, 51, 48, 51, 49, 51, 50, 51, 51, 51, 52, 51, 53, 51, 54, 51, 55, 51, 56, 51, 57, 52, 48, 52, 49, 52, 50, 52,
  51, 52, 52, 52, 53, 52, 54, 52, 55, 52, 56, 52, 57, 53, 48, 53, 49, 53, 50, 53, 51, 53, 52, 53, 53, 53, 54, 53, 55,
  53, 56, 53, 57, 54, 48, 54, 49, 54, 50, 54, 51, 54, 52, 54, 53, 54, 54, 54, 55, 54, 56, 54, 57, 55, 48, 55, 49, 55,
  50, 55, 51, 55, 52, 55, 53, 55, 54, 55, 55, 55, 56, 55, 57, 56, 48, 56, 49, 56, 50, 56, 51, 56, 52, 56, 53, 56, 54,
  56, 55, 56, 56, 56, 57, 57, 48, 57, 49, 57, 50, 57, 51, 57, 52, 57, 53, 57, 54, 57, 55, 57, 56, 57, 57,
]);

/** Writes the `len` digits of `v` ending just before `end`, two at a time. */
function writeDigits(v: u64, end: usize, len: i32): void {
  let p = end;
  // above 1e8: one division, then 32-bit arithmetic on the last eight digits
  if (v >= 100000000) {
    const hi = div1e8(v);
    let lo = <u32>(v - hi * 100000000);
    for (let i = 0; i < 4; i++) {
      const q = lo / 100;
      p -= 2;
      store<u16>(p, load<u16>(PAIRS + ((<usize>(lo - q * 100)) << 1)));
      lo = q;
    }
    len -= 8;
    v = hi;
  }
  let x = <u32>v;
  while (len >= 2) {
    const q = x / 100;
    p -= 2;
    store<u16>(p, load<u16>(PAIRS + ((<usize>(x - q * 100)) << 1)));
    x = q;
    len -= 2;
  }
  if (len > 0) store<u8>(p - 1, 48 + x);
}

function writeAscii3(p: usize, a: u32, b: u32, c: u32): void {
  store<u8>(p, a);
  store<u8>(p, b, 1);
  store<u8>(p, c, 2);
}

/** One number at `p`; returns the position after it. */
function writeNumber(p: usize, v: f64): usize {
  const bits = reinterpret<u64>(v);
  const sign = bits >> 63;
  const exponent = <u32>((bits >> 52) & 0x7ff);
  const mantissa = bits & 0xfffffffffffff;
  if (exponent === 0x7ff) {
    // "NaN", "Infinity", "-Infinity", with their quotes
    store<u8>(p++, 34);
    if (mantissa !== 0) {
      writeAscii3(p, 78, 97, 78);
      p += 3;
    } else {
      if (sign) store<u8>(p++, 45);
      writeAscii3(p, 73, 110, 102);
      writeAscii3(p + 3, 105, 110, 105);
      writeAscii3(p + 6, 116, 121, 34);
      return p + 9;
    }
    store<u8>(p++, 34);
    return p;
  }
  if (exponent === 0 && mantissa === 0) {
    store<u8>(p, 48);
    return p + 1;
  }
  if (sign) store<u8>(p++, 45);
  d2d(mantissa, exponent);
  const digits = outDigits;
  const k = decimalLength(digits);
  const n = outExp + k; // the decimal point sits after n digits
  if (k <= n && n <= 21) {
    // ddd000
    writeDigits(digits, p + <usize>k, k);
    for (let i = k; i < n; i++) store<u8>(p + <usize>i, 48);
    return p + <usize>n;
  }
  if (0 < n && n <= 21) {
    // ddd.ddd: the digits one place right of where they go, then the first n moved left
    writeDigits(digits, p + <usize>k + 1, k);
    for (let i = 0; i < n; i++) store<u8>(p + <usize>i, load<u8>(p + <usize>i + 1));
    store<u8>(p + <usize>n, 46);
    return p + <usize>k + 1;
  }
  if (-6 < n && n <= 0) {
    // 0.000ddd
    store<u8>(p, 48);
    store<u8>(p, 46, 1);
    for (let i = 0; i < -n; i++) store<u8>(p + 2 + <usize>i, 48);
    const at = p + 2 + <usize>-n;
    writeDigits(digits, at + <usize>k, k);
    return at + <usize>k;
  }
  // d.ddde±x
  writeDigits(digits, p + <usize>k + 1, k);
  store<u8>(p, load<u8>(p + 1));
  let end = p + 1;
  if (k > 1) {
    store<u8>(p + 1, 46);
    end = p + <usize>k + 1;
  }
  store<u8>(end++, 101);
  let x = n - 1;
  store<u8>(end++, x < 0 ? 45 : 43);
  if (x < 0) x = -x;
  if (x >= 100) store<u8>(end++, 48 + x / 100);
  if (x >= 10) store<u8>(end++, 48 + ((x / 10) % 10));
  store<u8>(end++, 48 + (x % 10));
  return end;
}

/**
 * Writes the `n` doubles at IN (n <= IN_MAX) at OUT as JSON numbers separated by commas;
 * returns the text's length.
 */
export function numbers(n: i32): i32 {
  let p = OUT;
  for (let i = 0; i < n; i++) {
    if (i > 0) store<u8>(p++, 44);
    p = writeNumber(p, load<f64>(IN + ((<usize>i) << 3)));
  }
  return <i32>(p - OUT);
}

/**
 * Writes `count` rows of `len` doubles at IN (count · len <= IN_MAX) at OUT as "[..],[..]";
 * returns the text's length. Short rows in one call (a call per row costs more than a number).
 */
export function rows(count: i32, len: i32): i32 {
  let p = OUT;
  let at = IN;
  for (let r = 0; r < count; r++) {
    if (r > 0) store<u8>(p++, 44);
    store<u8>(p++, 91);
    for (let i = 0; i < len; i++) {
      if (i > 0) store<u8>(p++, 44);
      p = writeNumber(p, load<f64>(at));
      at += 8;
    }
    store<u8>(p++, 93);
  }
  return <i32>(p - OUT);
}
