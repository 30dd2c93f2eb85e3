// src/codec/wasm/arrays.ts reads the large numeric arrays of a JSON text from its bytes: every
// number must be the double JSON.parse makes of it, bit for bit, and an array is read only when
// JSON.parse would see exactly a rectangular array of numbers there, with that shape. Numbers
// are checked over millions of texts that take every path (Clinger's, Eisel-Lemire's, its
// ambiguous halfway cases, the ones left to Number()); arrays over shapes, strings, escapes,
// whitespace, chunk boundaries and everything JSON does not allow.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ReadLimits, readArrays } from '../../../src/codec/wasm/arrays.js';
import { MAX_RANK } from '../../../src/contract/limits.js';

const LIMITS: ReadLimits = { minValues: 1, maxValues: 1e9, maxRank: MAX_RANK };
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

/** The texts whose double differs from JSON.parse's (at most 10 listed). */
function misread(texts: readonly string[]): string[] {
  const text = `[${texts.join(',')}]`;
  const read = readArrays(bytes(text), LIMITS);
  expect(read?.length).toBe(1);
  const got = read?.[0]?.values ?? new Float64Array();
  expect(got.length).toBe(texts.length);
  const want = JSON.parse(text) as number[];
  const wrong: string[] = [];
  for (let i = 0; i < texts.length && wrong.length < 10; i++)
    if (!Object.is(got[i], want[i])) wrong.push(`${texts[i]}: ${want[i]} read ${got[i]}`);
  return wrong;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const fromBits = (b: bigint) => {
  u64[0] = b;
  return f64[0] as number;
};
const bitsOf = (v: number) => {
  f64[0] = v;
  return u64[0] as bigint;
};
/** Random u64s from a seed (splitmix64), so that a failure repeats. */
function* words(seed: bigint): Generator<bigint> {
  const M = (1n << 64n) - 1n;
  let s = seed;
  for (;;) {
    s = (s + 0x9e3779b97f4a7c15n) & M;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    yield z ^ (z >> 31n);
  }
}
function take(n: number, seed: bigint, f: (w: bigint) => string | undefined): string[] {
  const out: string[] = [];
  for (const w of words(seed)) {
    if (out.length >= n) break;
    const t = f(w);
    if (t !== undefined) out.push(t);
  }
  return out;
}

/** The exact decimal of m · 2^e (m, e integers), all digits. */
function exactDecimal(m: bigint, e: bigint): string {
  if (e >= 0n) return (m << e).toString();
  const digits = (m * 5n ** -e).toString().padStart(Number(-e) + 1, '0');
  const point = digits.length + Number(e);
  return `${digits.slice(0, point)}.${digits.slice(point)}`.replace(/\.?0+$/, '');
}

/** The decimal halfway between the finite positive double v and the next one up, exactly. */
function halfwayUp(v: number): string {
  const b = bitsOf(v);
  const exp = (b >> 52n) & 0x7ffn;
  const frac = b & ((1n << 52n) - 1n);
  const [m, e] = exp === 0n ? [frac, -1074n] : [frac | (1n << 52n), exp - 1075n];
  return exactDecimal(2n * m + 1n, e - 1n);
}

/** `digits` significant digits of a decimal string, cut (not rounded), as d.ddde±x. */
function cutTo(decimal: string, digits: number): string {
  const [int = '', frac = ''] = decimal.split('.');
  const all = (int + frac).replace(/^0+/, '');
  const lead = (int + frac).length - all.length;
  const exp = int.length - lead - 1;
  return `${all[0]}.${all.slice(1, digits) || '0'}e${exp}`;
}

describe('numbers: the double JSON.parse makes, bit for bit', () => {
  it('reads notable values, every JSON spelling, and the edges of the exponent range', () => {
    expect(
      misread([
        '0',
        '-0',
        '0.0',
        '-0.0',
        '0e5',
        '-0E-5',
        '1',
        '-1',
        '1.5',
        '1e5',
        '1E5',
        '1e+5',
        '1e-5',
        '0.1',
        '0.2',
        '0.30000000000000004',
        '123456789012345678',
        '1234567890123456789',
        '12345678901234567890',
        '9007199254740993',
        '9007199254740992',
        '18446744073709551615',
        '18446744073709551616',
        '1.7976931348623157e308',
        '1.7976931348623158e308',
        '1.7976931348623159e308',
        '1e308',
        '1e309',
        '-1e400',
        '2.2250738585072014e-308',
        '2.2250738585072011e-308',
        '2.225073858507201e-308',
        '4.9406564584124654e-324',
        '5e-324',
        '2.4703282292062327e-324',
        '2.4703282292062328e-324',
        '1e-400',
        '0.000000000000000000000000000000000000001',
        `0.${'0'.repeat(400)}1`,
        `1${'0'.repeat(400)}`,
        `1.${'0'.repeat(30)}`,
        `9.${'9'.repeat(40)}`,
        '1e0000000000000000000000000000003',
        '1e-99999999999',
        '1e99999999999',
        '0.1e-99999999999',
        '7.038531e-26',
        '2.2250738585072012e-308',
        '1448997445238699',
        '89255.0e-22',
        '9007199254740993.0000000001',
        '4.35',
        '3.0e22',
        '3.0e23',
        '123456789e-22',
        '1234567890123456e-22',
      ]),
    ).toEqual([]);
  });

  it('reads the shortest form of 400,000 random bit patterns', () => {
    const texts = take(400_000, 1n, (w) => {
      const v = fromBits(w);
      return Number.isFinite(v) ? String(v) : undefined;
    });
    expect(misread(texts)).toEqual([]);
  });

  it('reads 15-, 16-, 17-, 18- and 19-digit decimals at every exponent', () => {
    const texts = take(400_000, 2n, (w) => {
      const digits = 15 + Number(w % 5n);
      const m = ((w >> 3n) % 10n ** BigInt(digits)).toString().padStart(digits, '1');
      const e = Number((w >> 59n) % 32n) * 21 - 340 + Number((w >> 20n) % 21n);
      const form = Number((w >> 40n) % 3n);
      if (form === 0) return `${m}e${e}`;
      if (form === 1) return `${w & 1n ? '-' : ''}${m[0]}.${m.slice(1)}e${e}`;
      return `0.${m}`;
    });
    expect(misread(texts)).toEqual([]);
  });

  it('reads subnormals, the normal boundary, and ±64 ulps around every power of two and ten', () => {
    const values: number[] = [];
    for (const w of take(100_000, 3n, (x) => String(fromBits(x & ((1n << 52n) - 1n))))) values.push(Number(w));
    for (let e = -1074; e <= 1023; e++)
      for (const k of [-64, -2, -1, 0, 1, 2, 64]) values.push(2 ** e * (1 + k * 2 ** -52));
    for (let e = -323; e <= 308; e++) {
      const b = bitsOf(Number(`1e${e}`));
      for (let k = -64n; k <= 64n; k += 4n) values.push(fromBits(b + k));
    }
    const texts = values
      .filter((v) => Number.isFinite(v) && v > 0)
      .flatMap((v) => [String(v), v.toPrecision(17), v.toExponential(18)]);
    expect(misread(texts)).toEqual([]);
  });

  it('reads exact halfway points between neighbouring doubles, and 17-19 digit cuts either side', () => {
    const doubles = take(20_000, 4n, (w) => {
      const v = fromBits(w >> 1n);
      return Number.isFinite(v) && v > 0 ? String(v) : undefined;
    }).map(Number);
    for (let e = -1074; e < 1024; e += 7) doubles.push(2 ** e);
    const texts: string[] = [];
    for (const v of doubles) {
      const half = halfwayUp(v);
      texts.push(half);
      for (const d of [17, 18, 19]) {
        const cut = cutTo(half, d);
        texts.push(cut);
        // one unit up in the last kept digit
        const [mant = '', exp = ''] = cut.split('e');
        const digits = (BigInt(mant.replace('.', '')) + 1n).toString();
        texts.push(`${digits}e${Number(exp) - d + 1 + (digits.length - d)}`);
      }
    }
    expect(misread(texts)).toEqual([]);
  });

  it('reads any double fast-check can make, in any of the spellings JavaScript gives it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 50 }),
        (vs) => {
          const texts = vs.flatMap((v) => [String(v), v.toExponential(), v.toPrecision(19)]);
          return misread(texts).length === 0;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('arrays: read only where JSON.parse sees a rectangular array of numbers', () => {
  const read = (text: string, limits: Partial<ReadLimits> = {}) =>
    readArrays(bytes(text), { ...LIMITS, ...limits })?.map((a) => ({
      text: text.slice(a.start, a.end),
      shape: [...a.shape],
      values: [...a.values],
    })) ?? null;

  it('finds each outermost array with its place, shape and values', () => {
    const text = '{"input": [[1, 2.5, -3e2], [4, 5, 6]],\n "target" :[ 7 ,8 ], "s": "[9, 9]", "t": [[[1],[2]]]}';
    expect(read(text)).toEqual([
      { text: '[[1, 2.5, -3e2], [4, 5, 6]]', shape: [2, 3], values: [1, 2.5, -300, 4, 5, 6] },
      { text: '[ 7 ,8 ]', shape: [2], values: [7, 8] },
      { text: '[[[1],[2]]]', shape: [1, 2, 1], values: [1, 2] },
    ]);
  });

  it('leaves to JSON.parse what is not a rectangular array of JSON numbers', () => {
    for (const bad of [
      '[]',
      '[[]]',
      '[[1,2],[3]]',
      '[[1,2],3]',
      '[1,[2]]',
      '[1,2,]',
      '[,1]',
      '[1 2]',
      '[01]',
      '[1.]',
      '[.5]',
      '[+1]',
      '[1e]',
      '[1e+]',
      '[-]',
      '[--1]',
      '[0x10]',
      '[1,"2"]',
      '["NaN"]',
      '[NaN]',
      '[Infinity]',
      '[true]',
      '[null]',
      '[{"a":1}]',
      '[1,2',
      '[1\u00a0]',
      '[1\f]',
    ]) {
      expect(read(`{"a": ${bad}}`), bad).toBeNull();
    }
  });

  it('never reads inside strings, whatever their escapes', () => {
    expect(read('{"a": "[1,2]", "b\\"[3]": "\\\\", "c": [4], "d": "\\"[5]\\""}')).toEqual([
      { text: '[4]', shape: [1], values: [4] },
    ]);
  });

  it('starts nothing inside an array it gave up on; goes on after it', () => {
    expect(read('{"a": [[1, 2], [3, "x"], [4, 5]], "b": [6]}')).toEqual([{ text: '[6]', shape: [1], values: [6] }]);
    expect(read('[[1, "x"], {"y": [[2]]}]')).toBeNull();
  });

  it('keeps arrays of at least minValues, and at most maxValues values in all', () => {
    expect(read('[[1,2],[3,4]] [5,6,7]', { minValues: 3 })?.map((a) => a.shape)).toEqual([[2, 2], [3]]);
    expect(read('[1,2] [3]', { minValues: 2 })?.map((a) => a.shape)).toEqual([[2]]);
    expect(read('[1,2,3] [4,5]', { maxValues: 4 })?.map((a) => a.shape)).toEqual([[3]]);
  });

  it('reads ranks up to maxRank and no deeper', () => {
    const nest = (r: number) => `${'['.repeat(r)}1${']'.repeat(r)}`;
    expect(read(nest(MAX_RANK))?.[0]?.shape).toEqual(Array(MAX_RANK).fill(1));
    expect(read(nest(MAX_RANK + 1))).toBeNull();
  });

  it('skips the given spans as empty strings', () => {
    const text = '{"a": "xx[1]xx", "b": [2, 3]}';
    const skip = [text.indexOf('xx'), text.lastIndexOf('xx') + 2];
    expect(readArrays(bytes(text), LIMITS, skip)?.map((a) => [...a.values])).toEqual([[2, 3]]);
  });

  it('reads arrays across many chunks, whatever falls on a chunk boundary', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom('', ' ', '\n  ', '\t'),
        fc.integer({ min: 0, max: 70_000 }),
        (rows, cols, ws, pad) => {
          const row = (i: number) =>
            `[${Array.from({ length: cols }, (_, j) => String(Math.sin(i * 31 + j) * 10 ** ((i + j) % 9))).join(`,${ws}`)}]`;
          const text = `{"pad": "${'x'.repeat(pad)}", "input":${ws}[${Array.from({ length: rows }, (_, i) => row(i)).join(`,${ws}`)}]}`;
          const got = readArrays(bytes(text), LIMITS);
          const want = (JSON.parse(text) as { input: number[][] }).input;
          const a = got?.[0];
          return (
            got?.length === 1 &&
            a !== undefined &&
            a.shape.join() === `${rows},${cols}` &&
            want.flat().every((v, k) => Object.is(v, a.values[k])) &&
            JSON.stringify(JSON.parse(text.slice(a.start, a.end))) === JSON.stringify(want)
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});
