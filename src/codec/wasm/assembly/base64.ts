// AssemblyScript (compiled by scripts/build-wasm.sh, not by tsc): base64 between bytes and
// bytes, 16 characters ↔ 12 bytes per step with WebAssembly SIMD. The caller (../base64.ts)
// copies a chunk into this module's memory, calls one of these and copies the result out; the
// tails (under 16 characters, padding) stay in the JS loop of ../../base64.ts, so both agree.
//
// Memory layout (two 64 KiB pages, fixed): input at IN, output at OUT. Loads and stores may
// touch 4 bytes past the data (a step reads 16 bytes to use 12, or stores 16 to keep 12).

export const IN: usize = 0;
export const OUT: usize = 65536;
/** Characters per decode chunk (a multiple of 16), and the bytes they decode to. */
export const CHUNK_TEXT: i32 = 49152;
export const CHUNK_BYTES: i32 = 36864;

/**
 * Decodes `n` characters (a multiple of 16) at IN into n / 4 * 3 bytes at OUT. Standard and
 * URL-safe alphabets alike ('+' and '-' are 62, '/' and '_' 63). Returns 1, or 0 when a
 * character is outside the alphabet (OUT then holds garbage).
 */
export function decode(n: i32): i32 {
  // Muła's method: a character is refused when the bit of its high nibble is set in the entry
  // of its low nibble (entries computed for exactly this alphabet, both variants); its value is
  // the character plus an offset chosen by its high nibble, by its low one among '+', '-', '/'
  // (high nibble 2), and for '_' (the one exception in its nibble) by comparison.
  const badLo = i8x16(87, 7, 7, 7, 7, 7, 7, 7, 7, 7, 15, -85, -81, -85, -81, -117);
  const badHi = i8x16(1, 2, 4, 8, 16, 32, 64, -128, -1, -1, -1, -1, -1, -1, -1, -1);
  const offHi = i8x16(0, 0, 0, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const offLo = i8x16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 19, 0, 17, 0, 16);
  let bad = i8x16.splat(0);
  let src = IN;
  let dst = OUT;
  const end = IN + <usize>n;
  while (src < end) {
    const c = v128.load(src);
    const hi = v128.and(v128.shr<u16>(c, 4), i8x16.splat(15));
    const lo = v128.and(c, i8x16.splat(15));
    bad = v128.or(bad, v128.and(i8x16.swizzle(badLo, lo), i8x16.swizzle(badHi, hi)));
    let off = v128.bitselect(i8x16.swizzle(offLo, lo), i8x16.swizzle(offHi, hi), i8x16.eq(hi, i8x16.splat(2)));
    off = v128.bitselect(i8x16.splat(-32), off, i8x16.eq(c, i8x16.splat(95)));
    const v = v128.add<i8>(c, off);
    // pairs: [a, b] (a first) → a·64 + b in 16 bits; then [t0, t1] → t0·4096 + t1 in 32
    const t = v128.or(v128.shl<i16>(v128.and(v, i16x8.splat(0xff)), 6), v128.shr<u16>(v, 8));
    const u = i32x4.dot_i16x8_s(t, i32x4.splat(0x00011000));
    // each 32-bit lane is [b2, b1, b0, 0] in memory: the three bytes, big end first
    v128.store(dst, i8x16.shuffle(u, u, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 3, 7, 11, 15));
    src += 16;
    dst += 12;
  }
  return v128.any_true(bad) ? 0 : 1;
}

/** Encodes `n` bytes (a multiple of 12) at IN as n / 3 * 4 standard base64 characters at OUT. */
export function encode(n: i32): void {
  let src = IN;
  let dst = OUT;
  const end = IN + <usize>n;
  // 6-bit value → what to add for its character, indexed by saturating(v - 51), 13 for v < 26
  const lut = i8x16(71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0);
  while (src < end) {
    const b = v128.load(src);
    // lanes b0<<16 | b1<<8 | b2 from each three bytes
    const u = i8x16.shuffle(b, b, 2, 1, 0, 16, 5, 4, 3, 16, 8, 7, 6, 16, 11, 10, 9, 16);
    const w = v128.and(u, i32x4.splat(0xffffff));
    const x = v128.or(
      v128.or(v128.and(v128.shr<u32>(w, 18), i32x4.splat(63)), v128.and(v128.shr<u32>(w, 4), i32x4.splat(63 << 8))),
      v128.or(
        v128.and(v128.shl<i32>(w, 10), i32x4.splat(63 << 16)),
        v128.and(v128.shl<i32>(w, 24), i32x4.splat(63 << 24)),
      ),
    );
    let r = i8x16.sub_sat_u(x, i8x16.splat(51));
    r = v128.or(r, v128.and(i8x16.lt_u(x, i8x16.splat(26)), i8x16.splat(13)));
    v128.store(dst, v128.add<i8>(x, i8x16.swizzle(lut, r)));
    src += 12;
    dst += 16;
  }
}
