// The decoder reads API.md's three tensor forms into typed arrays and stops at the first bad
// element with its JSON Pointer.

import { describe, expect, it } from 'vitest';
import { decodeFloat, decodeInt } from '../../src/codec/decode.js';

const budget = () => ({ remaining: 1e6 });
const f64b64 = (xs: number[]) => Buffer.from(Float64Array.from(xs).buffer).toString('base64');

function ok<T>(d: { ok: true; tensor: T } | { ok: false }) {
  if (!d.ok) throw new Error(JSON.stringify(d));
  return d.tensor;
}

describe('decodeFloat', () => {
  it('reads nested arrays with their shape, a bare number as 0-d', () => {
    const t = ok(
      decodeFloat(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        '/input',
        'float64',
        budget(),
      ),
    );
    expect(t.shape).toEqual([2, 3]);
    expect([...t.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ok(decodeFloat(2.5, '/input', 'float64', budget())).shape).toEqual([]);
  });

  it('reads empty tensors: [] is (0), a flat (0, 3) keeps its shape', () => {
    expect(ok(decodeFloat([], '/x', 'float64', budget())).shape).toEqual([0]);
    expect(ok(decodeFloat({ shape: [0, 3], data: [] }, '/x', 'float64', budget())).shape).toEqual([0, 3]);
  });

  it('reads the non-finite strings', () => {
    const t = ok(decodeFloat(['NaN', 'Infinity', '-Infinity'], '/x', 'float64', budget()));
    expect([...t.data]).toEqual([Number.NaN, Infinity, -Infinity]);
  });

  it('rounds to float32 under dtype float32, in every form', () => {
    for (const v of [[0.1], { shape: [1], data: [0.1] }, { shape: [1], dtype: 'float64', b64: f64b64([0.1]) }]) {
      const t = ok(decodeFloat(v, '/x', 'float32', budget()));
      expect(t.data).toBeInstanceOf(Float32Array);
      expect(t.data[0]).toBe(Math.fround(0.1));
    }
  });

  it('widens float32 and integer b64 data in a float64 request', () => {
    const f32 = Buffer.from(Float32Array.of(0.1).buffer).toString('base64');
    expect(ok(decodeFloat({ shape: [1], dtype: 'float32', b64: f32 }, '/x', 'float64', budget())).data[0]).toBe(
      Math.fround(0.1),
    );
    const i64 = Buffer.from(BigInt64Array.of(-7n).buffer).toString('base64');
    expect(ok(decodeFloat({ shape: [], dtype: 'int64', b64: i64 }, '/x', 'float64', budget())).data[0]).toBe(-7);
  });

  it.each([
    [[[1, 2], [3]], '/x/1'],
    [[[1, 2], 3], '/x/1'],
    [[1, [2]], '/x/1'],
    [[1, 'two'], '/x/1'],
    [[1, null], '/x/1'],
    [{ shape: [2], data: [1, true] }, '/x/data/1'],
    [{ shape: [3], data: [1, 2] }, '/x/data'],
    [{ shape: [1.5], data: [1] }, '/x/shape/0'],
    [{ shape: [1], data: [1], b64: 'AAAA' }, '/x'],
    [{ shape: [1], dtype: 'float16', b64: 'AAAA' }, '/x/dtype'],
    [{ shape: [2], dtype: 'float64', b64: f64b64([1]) }, '/x/b64'],
    [{ shape: [1], data: [1], extra: 1 }, '/x/extra'],
    [[[[[[[[[[1]]]]]]]]], '/x'],
  ])('refuses %j at %s', (v, path) => {
    const d = decodeFloat(v, '/x', 'float64', budget());
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.errors[0]?.path).toBe(path);
  });

  it('refuses tensors over the element budget with LOSSD_TOO_MANY_ELEMENTS, before allocating', () => {
    const d = decodeFloat({ shape: [1e6, 1e6], dtype: 'float64', b64: '' }, '/x', 'float64', { remaining: 100 });
    expect(d).toMatchObject({ ok: false, code: 'LOSSD_TOO_MANY_ELEMENTS' });
  });
});

describe('decodeInt', () => {
  it('accepts integral values in every form (1.0 is 1)', () => {
    expect([...ok(decodeInt([0, 1.0, 2], '/t', budget())).data]).toEqual([0, 1, 2]);
    const i32 = Buffer.from(Int32Array.of(3, -1).buffer).toString('base64');
    expect([...ok(decodeInt({ shape: [2], dtype: 'int32', b64: i32 }, '/t', budget())).data]).toEqual([3, -1]);
  });

  it.each([
    [[0, 1.5], '/t/1'],
    [['NaN'], '/t/0'],
    [[2 ** 40], '/t/0'],
    [{ shape: [1], data: ['Infinity'] }, '/t/data/0'],
  ])('refuses %j at %s', (v, path) => {
    const d = decodeInt(v, '/t', budget());
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.errors[0]?.path).toBe(path);
  });
});
