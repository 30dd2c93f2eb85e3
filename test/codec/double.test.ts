// src/codec/double.ts prints a double exactly as JavaScript does (Number::toString, which is
// also what JSON.stringify prints): the shortest string that reads back to the same double.
// Checked against String(v) on every kind of value that can take a different path through it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeDouble } from '../../src/codec/double.js';

const buf = new Uint8Array(64);
const view = new DataView(buf.buffer);
const print = (v: number) => Buffer.from(buf.buffer, 0, writeDouble(buf, view, 0, v)).toString('latin1');

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

describe('writeDouble', () => {
  it('prints 0 and -0 as "0" (as JSON.stringify does)', () => {
    expect(print(0)).toBe('0');
    expect(print(-0)).toBe('0');
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
});
