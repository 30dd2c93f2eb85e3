// Typed arrays → JSON text in the request's encoding (API.md "Response tensors"):
//
//   nested  [[1, 2], [3, 4]]      (a 0-d tensor is a bare number)
//   flat    {"shape": [2, 2], "data": [1, 2, 3, 4]}
//   b64     {"shape": [2, 2], "dtype": "float64", "b64": "..."}
//
// Never JSON.stringify on tensor data: it writes null for NaN. Numbers are written as
// JavaScript prints them (the shortest string that reads back to the same double, which is
// also what JSON.stringify prints); non-finite values are the strings API.md names.

import type { FloatArray } from '../registry/types.js';

export type Encoding = 'nested' | 'flat' | 'b64';

/** One number as JSON: finite values as JavaScript prints them (-0 as 0), the rest as strings. */
export function jsonNumber(v: number): string {
  if (Number.isFinite(v)) return v === 0 ? '0' : `${v}`;
  return v === Infinity ? '"Infinity"' : v === -Infinity ? '"-Infinity"' : '"NaN"';
}

function flatList(data: FloatArray, from: number, to: number): string {
  if (from === to) return '[]';
  let s = `[${jsonNumber(data[from] as number)}`;
  for (let i = from + 1; i < to; i++) s += `,${jsonNumber(data[i] as number)}`;
  return `${s}]`;
}

function nested(data: FloatArray, shape: readonly number[], depth: number, offset: number, size: number): string {
  if (depth === shape.length - 1) return flatList(data, offset, offset + size);
  const len = shape[depth] as number;
  if (len === 0) return '[]';
  const inner = size / len;
  let s = '[';
  for (let i = 0; i < len; i++) {
    if (i > 0) s += ',';
    s += nested(data, shape, depth + 1, offset + i * inner, inner);
  }
  return `${s}]`;
}

function shapeJson(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** A tensor as a JSON fragment. `data` holds numel(shape) values, in the request's dtype. */
export function encodeTensor(data: FloatArray, shape: readonly number[], encoding: Encoding): string {
  if (encoding === 'b64') {
    const dtype = data instanceof Float32Array ? 'float32' : 'float64';
    const b64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
    return `{"shape":${shapeJson(shape)},"dtype":"${dtype}","b64":"${b64}"}`;
  }
  if (encoding === 'flat') {
    return `{"shape":${shapeJson(shape)},"data":${flatList(data, 0, data.length)}}`;
  }
  if (shape.length === 0) return jsonNumber(data[0] as number);
  return nested(data, shape, 0, 0, data.length);
}
