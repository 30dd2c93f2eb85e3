// Base64 between bytes and bytes, with no JS string of the text in between (the b64 tensors of
// a large body are decoded straight from the request's bytes, and the response's are written
// straight into its bytes). Node 20 has no such native routine. The request path runs the
// WebAssembly SIMD version (./wasm/base64.ts, 12-30 % faster on Node 20 and 24: BENCHMARKS.md),
// which leaves its tails (under 16 characters, the padding) to these loops; they are also the
// reference its tests compare with. Both loops handle two characters per table lookup.
//
// The alphabet is Node's: standard base64 and its URL-safe variant ('-' and '_') alike, with
// '=' padding or without it (an unpadded tail of 2 or 3 characters).

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ENCODE = Buffer.from(ALPHABET, 'latin1');

/** Character code → 6-bit value, -1 outside the alphabet. */
const DECODE = new Int32Array(256).fill(-1);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
DECODE[45] = 62; // -
DECODE[95] = 63; // _

/** Two characters (first in the low byte) → their 12 bits, -1 if either is outside. */
const DECODE2 = new Int32Array(65536).fill(-1);
for (let a = 0; a < 256; a++) {
  const x = DECODE[a] as number;
  if (x < 0) continue;
  for (let b = 0; b < 256; b++) {
    const y = DECODE[b] as number;
    if (y >= 0) DECODE2[a | (b << 8)] = (x << 6) | y;
  }
}

/** Bytes that `len` characters of base64 decode to (`pad` '=' at the end), or -1 if none. */
export function base64Length(len: number, pad: number): number {
  if (len === 0) return 0;
  const rem = len % 4;
  if (rem === 0) return (len / 4) * 3 - pad;
  if (pad !== 0 || rem === 1) return -1;
  return Math.floor(len / 4) * 3 + rem - 1; // unpadded tail
}

/** The '=' at the end of base64 text (0, 1 or 2). */
export function paddingOf(text: Uint8Array): number {
  const n = text.length;
  if (n === 0 || text[n - 1] !== 61) return 0;
  return n > 1 && text[n - 2] === 61 ? 2 : 1;
}

/**
 * Decodes the base64 `text` into `out` (exactly base64Length(text) bytes long). Returns false
 * when a character is outside the alphabet (or '=' is anywhere but the end); `out` then holds
 * garbage.
 */
export function decodeBase64(text: Uint8Array, out: Uint8Array): boolean {
  const pad = paddingOf(text);
  const len = text.length - pad;
  // whole quads: one 32-bit read (any alignment), two table lookups of two characters each
  const quads = Math.floor(len / 4);
  const view = new DataView(text.buffer, text.byteOffset, text.byteLength);
  let bad = 0;
  let j = 0;
  for (let q = 0, i = 0; q < quads; q++, i += 4) {
    const w = view.getUint32(i, true);
    const hi = DECODE2[w & 0xffff] as number;
    const lo = DECODE2[w >>> 16] as number;
    bad |= hi | lo;
    const v = (hi << 12) | lo;
    out[j] = v >>> 16;
    out[j + 1] = (v >>> 8) & 255;
    out[j + 2] = v & 255;
    j += 3;
  }
  // the tail: 2 or 3 characters (1 or 2 bytes)
  const rest = len - quads * 4;
  if (rest > 0) {
    const i = quads * 4;
    const a = DECODE[text[i] as number] as number;
    const b = DECODE[text[i + 1] as number] as number;
    const c = rest === 3 ? (DECODE[text[i + 2] as number] as number) : 0;
    bad |= a | b | c;
    const v = (a << 18) | (b << 12) | (c << 6);
    out[j] = (v >>> 16) & 255;
    if (rest === 3) out[j + 1] = (v >>> 8) & 255;
  }
  return bad >= 0;
}

/** 12 bits → their two characters, as a little-endian 16-bit word. */
const ENCODE2 = new Uint16Array(4096);
for (let i = 0; i < 4096; i++) ENCODE2[i] = (ENCODE[i >> 6] as number) | ((ENCODE[i & 63] as number) << 8);

/** Standard base64 (with padding) of `src`, written into `dst` at `at`; returns the length. */
export function encodeBase64(src: Uint8Array, dst: Uint8Array, at: number): number {
  const n = src.length;
  const whole = n - (n % 3);
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  let j = at;
  // three bytes → four characters: two lookups of two characters, one 32-bit store (any alignment)
  for (let i = 0; i < whole; i += 3) {
    const v = ((src[i] as number) << 16) | ((src[i + 1] as number) << 8) | (src[i + 2] as number);
    view.setUint32(j, (ENCODE2[v >>> 12] as number) | ((ENCODE2[v & 4095] as number) << 16), true);
    j += 4;
  }
  const rest = n - whole;
  if (rest > 0) {
    const a = src[whole] as number;
    const b = rest === 2 ? (src[whole + 1] as number) : 0;
    const v = (a << 16) | (b << 8);
    dst[j] = ENCODE[v >>> 18] as number;
    dst[j + 1] = ENCODE[(v >>> 12) & 63] as number;
    dst[j + 2] = rest === 2 ? (ENCODE[(v >>> 6) & 63] as number) : 61;
    dst[j + 3] = 61;
    j += 4;
  }
  return j - at;
}
