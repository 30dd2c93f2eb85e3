// src/codec/wasm/double.ts prints doubles exactly as JavaScript does (Number::toString, which
// is also what JSON.stringify prints): the shortest string that reads back to the same double,
// the closest such, the even one at a tie. Checked against String(v) on every kind of value
// that can take a different path through Ryu and through the layout, over millions of values.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonNumber } from '../../../src/codec/encode.js';
import { writeNumbers, writeRows } from '../../../src/codec/wasm/double.js';

const buf = Buffer.alloc(28 * 4096);
const print = (v: number) => buf.toString('latin1', 0, writeNumbers(Float64Array.of(v), 0, 1, buf, 0));

/** What the response must hold for v: String(v), -0 as 0, API.md's strings for the rest. */
const expected = jsonNumber;

/** The values that print differently from String(v), checked 4096 at a time through one writer. */
function mismatches(values: Float64Array | Float32Array): string[] {
  const wrong: string[] = [];
  for (let from = 0; from < values.length; from += 4096) {
    const to = Math.min(values.length, from + 4096);
    const got = buf.toString('latin1', 0, writeNumbers(values, from, to, buf, 0)).split(',');
    for (let i = from; i < to; i++) {
      const want = expected(values[i] as number);
      if (got[i - from] !== want && wrong.length < 10) wrong.push(`${want} printed ${got[i - from]}`);
    }
  }
  return wrong;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** The double `k` ulps away from v (same sign). */
function ulps(v: number, k: number): number {
  f64[0] = v;
  const lo = (u32[0] as number) + k;
  u32[1] = (u32[1] as number) + Math.floor(lo / 2 ** 32);
  u32[0] = lo >>> 0;
  return f64[0] as number;
}

function expectSame(values: number[]): void {
  const wrong = values.filter((v) => print(v) !== String(v)).map((v) => `${String(v)} printed ${print(v)}`);
  expect(wrong).toEqual([]);
}

describe('writeNumbers', () => {
  it('prints 0 and -0 as "0" (as JSON.stringify does), and the non-finite values as API.md strings', () => {
    expect(print(0)).toBe('0');
    expect(print(-0)).toBe('0');
    expect([Number.NaN, Infinity, -Infinity].map(print)).toEqual(['"NaN"', '"Infinity"', '"-Infinity"']);
  });

  it('separates values by commas across its chunks, from any offset, float32 widened exactly', () => {
    const values = Float32Array.from({ length: 5000 }, (_, i) => (i % 7 === 3 ? Number.NaN : Math.fround(i / 7 - 300)));
    const out = Buffer.alloc(28 * 5000);
    const n = writeNumbers(values, 3, 4999, out, 5) - 5;
    expect(out.toString('latin1', 5, 5 + n)).toBe(Array.from(values.subarray(3, 4999), expected).join(','));
  });

  it('prints what String(v) prints for simple and notable values', () => {
    expectSame([
      1,
      -1,
      0.1,
      0.2,
      0.3,
      1 / 3,
      2 / 3,
      100,
      1234.5678,
      4.35,
      0.5,
      0.25,
      1e-7,
      1.5e-7,
      Number('9.999999999999999e-8'),
      1e-6,
      0.000001234,
      1e21,
      9.999999999999999e20,
      123456789012345680000,
      1e16,
      Number('9007199254740993'),
      9007199254740992,
      5e-324,
      2.2250738585072014e-308,
      1.7976931348623157e308,
      Number.EPSILON,
      Math.PI,
      Math.E,
      2 ** -30,
      2 ** 52,
      2 ** 53,
      1e15,
      1e-15,
      123e-20,
      Number('1.2345678901234567e-25'),
    ]);
  });

  it('agrees with String(v) on random bit patterns', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (v) => print(v) === String(v) || print(v) === '0',
      ),
      { numRuns: 100_000 },
    );
  });

  it('agrees with String(v) across magnitudes, on widened float32 values, and near powers of 2 and 10', () => {
    const values: number[] = [];
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 20_000; i++) {
      const mag = 10 ** Math.floor(rnd() * 60 - 35);
      values.push((rnd() - 0.5) * mag);
      values.push(Math.fround((rnd() - 0.5) * 10 ** Math.floor(rnd() * 12 - 8)));
      values.push(Math.round(rnd() * 10 ** Math.floor(rnd() * 17)) / 10 ** Math.floor(rnd() * 10));
    }
    for (let e = -100; e <= 70; e++) for (const k of [-2, -1, 0, 1, 2]) values.push(ulps(2 ** e, k));
    for (let e = -30; e <= 22; e++) for (const k of [-2, -1, 0, 1, 2]) values.push(ulps(Number(`1e${e}`), k));
    // exact ties at 17 digits (decided half to even), e.g. 2^-25 = 2.98023223876953125e-8
    for (let e = -60; e <= 0; e++) values.push(2 ** e, 3 * 2 ** e, -(5 * 2 ** e));
    expectSame(values);
  });

  it('reads back to the same double (round trip)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) =>
        Object.is(Number(print(v)), v === 0 ? 0 : v),
      ),
      { numRuns: 20_000 },
    );
  });

  it('writes rows as JSON arrays, short rows several to a call, across chunks', () => {
    const values = Float64Array.from({ length: 9000 }, (_, i) => (i % 11 === 5 ? -Infinity : (i - 4500) / 3));
    for (const len of [1, 2, 3, 10, 63, 64, 1000, 2049]) {
      const count = Math.floor((values.length - 7) / len);
      const out = Buffer.alloc(count * (28 * len + 3) + 8);
      const end = writeRows(values, 7, count, len, out, 8);
      const want = Array.from(
        { length: count },
        (_, r) => `[${Array.from(values.subarray(7 + r * len, 7 + (r + 1) * len), expected).join(',')}]`,
      );
      expect(out.toString('latin1', 8, end), `rows of ${len}`).toBe(want.join(','));
    }
  });

  // Millions of values, each property a different region (about 1 s a million here);
  // scripts/check-doubles.ts runs the same with more values.
  const bits = new BigUint64Array(1);
  const asDouble = new Float64Array(bits.buffer);
  let state = 0x9e3779b97f4a7c15n;
  /** 64 random bits (xorshift64*, fixed seed: a failure reproduces). */
  const next = () => {
    state ^= state >> 12n;
    state ^= (state << 25n) & 0xffffffffffffffffn;
    state ^= state >> 27n;
    return (state * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  };
  const fill = (n: number, make: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => make(i));

  it('agrees with String(v) on a million random bit patterns (every exponent, subnormals, NaNs)', () => {
    const values = new Float64Array(1_000_000);
    const words = new BigUint64Array(values.buffer);
    for (let i = 0; i < values.length; i++) words[i] = next();
    expect(mismatches(values)).toEqual([]);
  });

  it('agrees on a million subnormals and values at the normal boundary', () => {
    const values = fill(1_000_000, (i) => {
      bits[0] = i % 2 === 0 ? next() & 0xfffffffffffffn : (next() & 0x1fffffffffffffn) | (i % 4 === 1 ? 0n : 1n << 63n);
      return asDouble[0] as number;
    });
    expect(mismatches(values)).toEqual([]);
  });

  it('agrees within 64 ulps of every power of two and of every power of ten', () => {
    const values: number[] = [];
    for (let e = -1074; e <= 1023; e++) for (let k = -64; k <= 64; k++) if (2 ** e > 0) values.push(ulps(2 ** e, k));
    for (let e = -323; e <= 308; e++) for (let k = -64; k <= 64; k++) values.push(ulps(Number(`1e${e}`), k));
    expect(mismatches(Float64Array.from(values.filter((v) => Number.isFinite(v) && v > 0)))).toEqual([]);
  });

  it('agrees on a million 15, 16 and 17 digit decimals read back (where the shortest form changes length)', () => {
    const values = fill(1_000_000, (i) => {
      const digits = 15 + (i % 3);
      const m = Number(next() % 10n ** BigInt(digits)) || 1;
      const e = Number(next() % 600n) - 300 - digits;
      return Number(`${m}e${e}`);
    });
    expect(mismatches(values)).toEqual([]);
  });

  it('agrees at exact ties (17-digit halves) and on widened float32 values', () => {
    const ties = fill(200_000, (i) => (Number(next() % 2n ** 53n) || 1) * 2 ** ((i % 120) - 100));
    expect(mismatches(ties)).toEqual([]);
    const f32 = new Float32Array(1_000_000);
    new Uint32Array(f32.buffer).forEach((_, i, a) => {
      a[i] = Number(next() >> 32n);
    });
    expect(mismatches(f32)).toEqual([]);
  });
});
