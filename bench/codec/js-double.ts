// The JS double printer the request path used before src/codec/wasm/double.ts (Ryu in
// WebAssembly) replaced it, kept as the codec suite's baseline for that replacement.
//
// A double written as JavaScript prints it (Number::toString, which JSON.stringify also uses:
// the shortest decimal that reads back to the same double, the closest one to it when several
// are as short), straight into a byte buffer. V8's own formatter costs ~150 ns a number on the
// benchmark machine and can only produce strings; this one writes bytes and is several times
// faster, and falls back to String(v) in the rare cases where it cannot decide exactly.
//
// Method, for a = |v| (finite, non-zero):
//  1. P = a · 10^q with q chosen so that P lies in [1e16, 1e17), as a double-double (hi + lo):
//     Dekker's exact product with 10^q, exact for q <= 22 (10^q is a double), within ~2^-104
//     relative beyond (10^q itself as a double-double).
//  2. D = P rounded to an integer (half to even): the 17 significant digits nearest to a. It is
//     held as two exact integers, D = hi · 1e9 + lo.
//  3. The rounding interval of a (the decimals that read back to a) is a ± half an ulp, scaled
//     by 10^q: half-width U above, and U / 2 below when a is a power of two. (Whether its ends
//     belong to it depends on the significand's parity; an end is never decided here, see below.)
//  4. For p = 15, 16, 17 digits, the multiples of 10^(17 - p) on either side of D are the
//     p-digit candidates; the first p with one inside the interval wins, the closest candidate
//     if both are. With 15 digits or fewer there is at most one candidate in the interval (10^2
//     is wider than the interval, whose width is at most ~22 here), so the shortest form is the
//     15-digit one without its trailing zeros.
//  5. Digits and decimal exponent are laid out as Number::toString does (fixed notation for
//     1e-7 <= a < 1e21, exponential otherwise).
// Any comparison closer than a safety margin to a tie or to an interval end (possible only when
// P is inexact, q > 22, or at an exact tie) defers to String(v), as do a < 1e-30 and a >= 1e16.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Veltkamp's splitter for doubles: 2^27 + 1. */
const SPLIT = 134217729;

const Q_MAX = 46;
/** 10^q as a double-double (hi rounded to nearest, lo the rest), and hi's Veltkamp halves. */
const TEN_HI = new Float64Array(Q_MAX + 1);
const TEN_LO = new Float64Array(Q_MAX + 1);
const TEN_HH = new Float64Array(Q_MAX + 1);
const TEN_HL = new Float64Array(Q_MAX + 1);
for (let q = 0; q <= Q_MAX; q++) {
  const exact = 10n ** BigInt(q);
  const hi = Number(exact);
  TEN_HI[q] = hi;
  TEN_LO[q] = Number(exact - BigInt(hi));
  const c = SPLIT * hi;
  const hh = c - (c - hi);
  TEN_HH[q] = hh;
  TEN_HL[q] = hi - hh;
}

/** 2^(e - 1076) for a biased exponent e: half an ulp (2^(e - 1075)) of a normal double. */
const HALF_ULP = new Float64Array(2048);
for (let e = 1; e < 2047; e++) HALF_ULP[e] = 2 ** (e - 1076);

/** Below this, and at or above FAST_MAX, the fallback prints (subnormals, huge values). */
const FAST_MIN = 1e-30;
const FAST_MAX = 1e16;
/** How close to a tie or an interval end a decision may come before the fallback decides. */
const MARGIN = 1e-7;

const ZERO = 48;
const LOG10_2 = 0.3010299956639812;
/** "00".."99" as little-endian 16-bit words: both digits of i in one store. */
const PAIRS = new Uint16Array(100);
for (let i = 0; i < 100; i++) PAIRS[i] = (ZERO + Math.floor(i / 10)) | ((ZERO + (i % 10)) << 8);

function writeAscii(buf: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[pos + i] = s.charCodeAt(i);
  return pos + s.length;
}

/** The four digits of x (0 <= x < 1e4, an int) at `at`. */
function four(view: DataView, at: number, x: number): void {
  const a = (x / 100) | 0;
  view.setUint16(at, PAIRS[a] as number, true);
  view.setUint16(at + 2, PAIRS[x - a * 100] as number, true);
}

/** The 17 digits of hi · 1e9 + lo (hi has 8, lo 9) at `at`. */
function seventeen(view: DataView, at: number, hi: number, lo: number): void {
  const h1 = (hi / 10000) | 0;
  four(view, at, h1);
  four(view, at + 4, hi - h1 * 10000);
  const l0 = (lo / 100000000) | 0;
  view.setUint8(at + 8, ZERO + l0);
  const l8 = lo - l0 * 100000000;
  const l1 = (l8 / 10000) | 0;
  four(view, at + 9, l1);
  four(view, at + 13, l8 - l1 * 10000);
}

/** 10^k for k in [-40, 40] (nearest doubles), at index k + 40: E's correction. */
const POW10 = new Float64Array(81);
for (let k = -40; k <= 40; k++) POW10[k + 40] = Number(`1e${k}`);

/**
 * Writes `v` (finite; the caller handles NaN and ±Infinity) at `pos` as Number::toString prints
 * it, -0 as "0"; returns the position after it. `view` is a DataView of `buf`'s bytes (from its
 * offset 0). Needs 27 bytes of room (it may write past the number's end, within them).
 */
export function writeDouble(buf: Uint8Array, view: DataView, pos: number, v: number): number {
  if (v === 0) {
    buf[pos] = ZERO;
    return pos + 1;
  }
  const a = v < 0 ? -v : v;
  if (!(a >= FAST_MIN && a < FAST_MAX)) return writeAscii(buf, pos, String(v));
  f64[0] = a;
  const word = u32[1] as number;
  const low = u32[0] as number;
  const biased = word >>> 20;

  // E = floor(log10 a): from the binary exponent, then one comparison (no branch); an error
  // at an exact power of ten is caught by the range check below
  const E0 = Math.floor((biased - 1023) * LOG10_2);
  let E = E0 + Number(a >= (POW10[E0 + 41] as number));
  let q = 16 - E;
  const ca = SPLIT * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  let hi = 0;
  let lo = 0;
  let f = 0;
  for (let attempt = 0; ; attempt++) {
    if (q < 0 || q > Q_MAX || attempt > 2) return writeAscii(buf, pos, String(v));
    // P = a · 10^q = ph + pl (Dekker's product, plus 10^q's own low part when q > 22)
    const ph = a * (TEN_HI[q] as number);
    const th = TEN_HH[q] as number;
    const tl = TEN_HL[q] as number;
    const pl = ah * th - ph + ah * tl + al * th + al * tl + a * (TEN_LO[q] as number);
    // D: an integer next to P (ph is an integer, >= 2^53); f = P - D exactly, |f| <= ~0.5.
    // Whether D is the nearest integer does not matter: every decision below uses f.
    const r = Math.round(pl);
    f = pl - r;
    hi = Math.floor(ph * 1e-9);
    lo = ph - hi * 1e9 + r;
    while (lo < 0) {
      lo += 1e9;
      hi--;
    }
    while (lo >= 1e9) {
      lo -= 1e9;
      hi++;
    }
    if (hi < 1e7) {
      q++;
      E--;
    } else if (hi >= 1e8) {
      q--;
      E++;
    } else {
      break;
    }
  }
  // D = hi · 1e9 + lo has 17 digits; lo and hi fit int32 from here on
  lo |= 0;
  hi |= 0;

  // the rounding interval, scaled: [P - below, P + above]
  const above = (HALF_ULP[biased] as number) * (TEN_HI[q] as number);
  const below = (word & 0xfffff) === 0 && low === 0 && biased > 1 ? above / 2 : above;

  // p = 15, 16, 17 digits: the candidates down = D - m and up = down + S, S = 10^(17 - p);
  // the first p with one inside the interval wins (the closer one if both are). Values at an
  // interval end or a tie are left to V8 (whether an end belongs depends on the parity); so is
  // an exact tie at 17 digits, P half-way between integers (common for widened float32 values).
  // An exact tie at 17 digits (f = ±0.5, P exact: q <= 22) is decided at 17 digits below, half
  // to even, as Number::toString does; a near-tie with an inexact P, or at a power of two, by V8.
  const tie = Math.abs(0.5 - Math.abs(f)) < MARGIN;
  if (tie && (q > 22 || (f !== 0.5 && f !== -0.5) || below !== above)) return writeAscii(buf, pos, String(v));
  const m15 = lo - ((lo / 100) | 0) * 100;
  let m = m15;
  let S = 100;
  let dDown = m15 + f; // P - down (negative only when m = 0 and f < 0: then inside)
  let dUp = 100 - m15 - f; // up - P
  if (unsure(dDown, dUp, below, above)) return writeAscii(buf, pos, String(v));
  if (!(dDown < below || dUp < above)) {
    m = m15 - ((m15 / 10) | 0) * 10;
    S = 10;
    dDown = m + f;
    dUp = 10 - m - f;
    if (unsure(dDown, dUp, below, above)) return writeAscii(buf, pos, String(v));
    if (!(dDown < below || dUp < above)) {
      m = 0;
      S = 1;
      dDown = f;
      dUp = 1 - f;
      if (tie) {
        // P = D ± 0.5: D or its neighbour on P's other side, whichever is even (both are inside:
        // half an ulp is more than 0.55 here). Expressed as the choice made below: keep
        // down = D - m, or take up = down + 1.
        const odd = (lo & 1) !== 0;
        m = odd && f < 0 ? 1 : 0;
        dDown = odd && f > 0 ? Number.POSITIVE_INFINITY : 0;
        dUp = odd && f > 0 ? 0 : Number.POSITIVE_INFINITY;
      } else if (unsure(dDown, dUp, below, above) || !(dDown < below || dUp < above)) {
        return writeAscii(buf, pos, String(v));
      }
    }
  }
  // the chosen candidate, as hi · 1e9 + lo
  lo -= m;
  if (dUp < above && !(dDown < below && Math.abs(dDown) < dUp)) {
    lo += S;
    if (lo >= 1e9) {
      lo -= 1e9;
      hi++;
    }
  }
  if (hi >= 1e8) {
    // rounded up to 10^17: one digit, one decade up
    hi = 1e7;
    lo = 0;
    E++;
  }
  // Number::toString's layouts, with n = E + 1. The 17 digits are written in one piece, then
  // the decimal point is made by moving the digits before it one place left; bytes past the
  // number's end stay within its 27 bytes of room and are overwritten by what follows.
  if (v < 0) buf[pos++] = 45; // -
  const n = E + 1;
  if (-6 < n && n <= 0) {
    // 0.000ddd
    buf[pos] = ZERO;
    buf[pos + 1] = 46; // .
    for (let i = 2; i < 8; i++) buf[pos + i] = ZERO;
    const at = pos + 2 - n;
    seventeen(view, at, hi, lo);
    let k = 17;
    while (buf[at + k - 1] === ZERO) k--;
    return at + k;
  }
  seventeen(view, pos + 1, hi, lo);
  let k = 17;
  while (buf[pos + k] === ZERO) k--;
  if (0 < n && n <= 21) {
    if (n < k) {
      // ddd.ddd
      for (let i = 0; i < n; i++) buf[pos + i] = buf[pos + i + 1] as number;
      buf[pos + n] = 46;
      return pos + k + 1;
    }
    // ddd000
    for (let i = 0; i < k; i++) buf[pos + i] = buf[pos + i + 1] as number;
    for (let i = k; i < n; i++) buf[pos + i] = ZERO;
    return pos + n;
  }
  // d.ddde±x
  buf[pos] = buf[pos + 1] as number;
  let end = pos + 1;
  if (k > 1) {
    buf[pos + 1] = 46;
    end = pos + k + 1;
  }
  buf[end++] = 101; // e
  const x = n - 1;
  buf[end++] = x < 0 ? 45 : 43;
  const ax = x < 0 ? -x : x;
  if (ax >= 100) buf[end++] = ZERO + ((ax / 100) | 0);
  if (ax >= 10) buf[end++] = ZERO + (((ax / 10) | 0) % 10);
  buf[end++] = ZERO + (ax % 10);
  return end;
}

function unsure(dDown: number, dUp: number, below: number, above: number): boolean {
  return Math.abs(dDown - below) < MARGIN || Math.abs(dUp - above) < MARGIN || Math.abs(dDown - dUp) < MARGIN;
}
