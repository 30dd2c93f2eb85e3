// exp(x) written out in JavaScript, for the kernels whose cost is one exp per element (the
// softmax of cross_entropy). V8 compiles Math.exp to a call into C (fdlibm); this one is
// inlined into the loop and measured 2-3× faster on the benchmark machine
// (bench/losses/kernels.bench.ts), within 2 ulp of Math.exp (test/codec/fast-exp.test.ts).
//
// Tang's method: x = (64 k + j) · ln2/64 + r with |r| <= ln2/128, so
//   exp(x) = 2^k · 2^(j/64) · exp(r),  exp(r) = 1 + r + r²/2 + ... + r⁶/720
// k·ln2/64 is subtracted in two parts (fdlibm's ln2_hi, 0x3fe62e42fee00000, has trailing zero
// bits, so k·hi is exact), 2^(j/64) comes from a table and 2^k from another (exact scaling). Outside
// (-708, 709), where results are subnormal or overflow, and for NaN, it defers to Math.exp.

const LN2_64_HI = 0.6931471803691238 / 64;
const LN2_64_LO = 1.9082149292705877e-10 / 64;
const INV_LN2_64 = 64 / Math.LN2;
/** 1.5 · 2^52: adding and subtracting it rounds a double to the nearest integer. */
const ROUND = 6755399441055744;

const TWO_J64 = new Float64Array(64);
for (let j = 0; j < 64; j++) TWO_J64[j] = 2 ** (j / 64);
/** 2^n for n in [-1022, 1023], at index n + 1022. */
const TWO_N = new Float64Array(2046);
for (let n = -1022; n < 1024; n++) TWO_N[n + 1022] = 2 ** n;

export function exp(x: number): number {
  if (!(x > -708 && x < 709)) return Math.exp(x);
  const k = x * INV_LN2_64 + ROUND - ROUND;
  const r = x - k * LN2_64_HI - k * LN2_64_LO;
  const p = r + r * r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720)))));
  const ki = k | 0;
  const t = TWO_J64[ki & 63]!;
  return TWO_N[(ki >> 6) + 1022]! * (t + t * p);
}
