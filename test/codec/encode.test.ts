// src/codec/encode.ts writes response tensors straight into bytes: the same text as the
// reference below (JSON.stringify of the values, with API.md's strings for NaN and ±Infinity),
// in the three encodings, for float64 and float32, and the same bytes when a helper writes half.

import { describe, expect, it } from 'vitest';
import {
  type Encoding,
  encodeTensor,
  type Helper,
  JsonWriter,
  maxTensorBytes,
  writeTensor,
  writeTensorPart,
} from '../../src/codec/encode.js';
import type { FloatArray } from '../../src/numeric/tensor.js';

/** The reference: JavaScript's printing of each value, nested by hand. */
function reference(data: ArrayLike<number>, shape: readonly number[], encoding: Encoding): string {
  const num = (v: number) =>
    Number.isNaN(v) ? '"NaN"' : v === Infinity ? '"Infinity"' : v === -Infinity ? '"-Infinity"' : JSON.stringify(v);
  const values = Array.from(data);
  if (encoding === 'flat') return `{"shape":[${shape.join(',')}],"data":[${values.map(num).join(',')}]}`;
  if (shape.length === 0) return num(values[0] as number);
  const nest = (depth: number, offset: number, size: number): string => {
    const len = shape[depth] as number;
    if (depth === shape.length - 1)
      return `[${values
        .slice(offset, offset + size)
        .map(num)
        .join(',')}]`;
    if (len === 0) return '[]';
    const inner = size / len;
    return `[${Array.from({ length: len }, (_, i) => nest(depth + 1, offset + i * inner, inner)).join(',')}]`;
  };
  return nest(0, 0, values.length);
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
function values(n: number, seed = 3): Float64Array {
  const out = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    out[i] = (s / 2147483647 - 0.5) * 10 ** ((s % 9) - 5);
  }
  return out;
}

const SHAPES: number[][] = [[], [1], [5], [0], [2, 0], [0, 3], [3, 4], [2, 3, 4], [1, 1, 1, 7], [300, 2], [2, 1500]];

describe('encodeTensor', () => {
  for (const encoding of ['nested', 'flat'] as const) {
    it(`writes ${encoding} tensors as the reference does, float64 and float32`, () => {
      for (const shape of SHAPES) {
        if (encoding === 'nested' && shape.length === 0) continue;
        const x = values(numel(shape));
        expect(encodeTensor(x, shape, encoding)).toBe(reference(x, shape, encoding));
        const f = Float32Array.from(x);
        expect(encodeTensor(f, shape, encoding)).toBe(reference(f, shape, encoding));
      }
    });
  }

  it('writes a 0-d nested tensor as a bare number', () => {
    expect(encodeTensor(Float64Array.of(2.5), [], 'nested')).toBe('2.5');
  });

  it('writes NaN and ±Infinity as strings, -0 as 0', () => {
    const x = Float64Array.of(Number.NaN, Infinity, -Infinity, -0, 1.5, 0);
    expect(encodeTensor(x, [2, 3], 'nested')).toBe('[["NaN","Infinity","-Infinity"],[0,1.5,0]]');
    expect(encodeTensor(x, [6], 'flat')).toBe('{"shape":[6],"data":["NaN","Infinity","-Infinity",0,1.5,0]}');
  });

  it('writes float32 values as the doubles they are (their shortest double form)', () => {
    const f = Float32Array.of(0.1, 1 / 3, 1e-8);
    expect(encodeTensor(f, [3], 'nested')).toBe(`[${[0.1, 1 / 3, 1e-8].map((v) => String(Math.fround(v))).join(',')}]`);
  });

  it('writes b64 as the little-endian bytes in base64, with the dtype of the array', () => {
    for (const n of [0, 1, 2, 3, 10, 1001]) {
      const x = values(n);
      const f = Float32Array.from(x);
      const b64 = encodeTensor(x, [n], 'b64');
      expect(JSON.parse(b64)).toEqual({ shape: [n], dtype: 'float64', b64: Buffer.from(x.buffer).toString('base64') });
      expect(JSON.parse(encodeTensor(f, [n], 'b64'))).toEqual({
        shape: [n],
        dtype: 'float32',
        b64: Buffer.from(f.buffer).toString('base64'),
      });
    }
  });

  it('encodes only the view it is given (typed arrays lent from a larger buffer)', () => {
    const big = values(64);
    const view = new Float64Array(big.buffer, 8 * 8, 4);
    expect(JSON.parse(encodeTensor(view, [4], 'b64')).b64).toBe(Buffer.from(big.buffer, 64, 32).toString('base64'));
    expect(encodeTensor(view, [4], 'nested')).toBe(reference(view, [4], 'nested'));
  });

  it('never writes past its worst-case size estimate', () => {
    const worst = new Float64Array(1000).fill(Number('-1.2345678901234567e-7'));
    for (const encoding of ['nested', 'flat', 'b64'] as const) {
      const out = new JsonWriter(16);
      writeTensor(out, worst, [10, 10, 10], encoding);
      expect(out.length).toBeLessThanOrEqual(maxTensorBytes(1000, 3, encoding));
    }
  });
});

describe('writeTensor with a helper', () => {
  /** A helper that writes its part at once (in this thread), as another worker would. */
  const inline: Helper = {
    minElements: 4,
    start(data, shape, encoding, from, to) {
      const out = new JsonWriter(64);
      writeTensorPart(out, data, shape, encoding, from, to);
      const bytes = out.bytes();
      return () => bytes;
    },
  };
  const declining: Helper = { minElements: 4, start: () => () => null };

  it('writes the same bytes as without one, whether the helper answers or declines', () => {
    for (const shape of [[7], [9, 3], [4, 2, 5], [2, 1, 3, 2], [3000]]) {
      const x: FloatArray = values(numel(shape));
      for (const encoding of ['nested', 'flat'] as const) {
        const want = encodeTensor(x, shape, encoding);
        for (const helper of [inline, declining]) {
          const out = new JsonWriter(8);
          writeTensor(out, x, shape, encoding, helper);
          expect(out.text()).toBe(want);
        }
      }
    }
  });
});
