// API.md tensor forms → typed arrays, in one pass, stopping at the first bad element and
// naming it with a JSON Pointer into the request.
//
//   nested  [[1, 2], [3, 4]]                                   (a bare number is 0-d)
//   flat    {"shape": [2, 2], "data": [1, 2, 3, 4], "dtype"?: ...}
//   b64     {"shape": [2, 2], "dtype": "float32", "b64": "..."}  little-endian
//
// Non-finite values are the strings "NaN", "Infinity", "-Infinity" in the first two forms.
// Float tensors are written straight into a Float64Array, or a Float32Array when the request
// is float32 (the store rounds to nearest, as LOSSES.md 3.7 asks). Integer tensors become
// Int32Array after checking every value is a finite integer in range.

import { cutPointer, shown } from '../bounded-text.js';
import { MAX_RANK } from '../contract/limits.js';
import type { ErrorCode, Failure } from '../errors.js';
import { failure, pointerToken } from '../errors.js';
import type { FloatArray, FloatTensor, IntTensor } from '../numeric/tensor.js';
import { lendBytes, lendFloat } from './arena.js';
import { base64Length, paddingOf } from './base64.js';
import type { Cuts } from './body.js';
import type { ReadArray } from './wasm/arrays.js';
import { decodeBase64 } from './wasm/base64.js';

export type FloatDType = 'float64' | 'float32';

const WIRE_DTYPES = ['float32', 'float64', 'int32', 'int64'] as const;
type WireDType = (typeof WIRE_DTYPES)[number];
const ELEMENT_SIZE: Record<WireDType, number> = { float32: 4, float64: 8, int32: 4, int64: 8 };

const NONFINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Elements still allowed in this request (LOSSD_MAX_ELEMENTS), shared by all its tensors. */
export interface ElementBudget {
  remaining: number;
}

class DecodeError {
  constructor(
    readonly code: ErrorCode,
    readonly path: string,
    readonly message: string,
  ) {}
}

function fail(path: string, message: string, code: ErrorCode = 'LOSSD_INVALID_TENSOR'): never {
  throw new DecodeError(code, path, message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function spend(budget: ElementBudget, n: number, path: string): void {
  if (n > budget.remaining) {
    fail(
      path,
      `tensor holds ${n} elements, over what is left of the request's element limit (${Math.max(budget.remaining, 0)})`,
      'LOSSD_TOO_MANY_ELEMENTS',
    );
  }
  budget.remaining -= n;
}

// ---------------------------------------------------------------- elements

/** Writes one float element; `i` is where in `out`, `at` builds its pointer on failure. */
function floatElement(v: unknown, at: () => string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const x = NONFINITE[v];
    if (x !== undefined) return x;
  }
  return fail(at(), `expected a number or "NaN", "Infinity", "-Infinity", got ${describe(v)}`);
}

function intElement(v: unknown, at: () => string): number {
  if (typeof v !== 'number') {
    return fail(at(), `expected an integer, got ${describe(v)}`);
  }
  if (!Number.isInteger(v)) return fail(at(), `expected an integer, got ${v}`);
  if (v < INT32_MIN || v > INT32_MAX)
    return fail(at(), `integer ${v} is outside the int32 range`, 'LOSSD_INVALID_VALUE');
  return v;
}

/** What intElement accepts unchanged: a finite integral number in the int32 range. */
function isInt32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

// ---------------------------------------------------------------- nested form

function nestedShape(v: unknown[], path: string): number[] {
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (shape.length > MAX_RANK) fail(path, `nested deeper than the maximum rank ${MAX_RANK}`);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

/**
 * Fills `out` from nested arrays of `shape`, checking every length. `write` is monomorphic
 * per call site (float or int), so the loop stays tight.
 */
function fillNested(
  root: unknown[],
  shape: readonly number[],
  out: FloatArray | Int32Array,
  path: string,
  int: boolean,
): void {
  const rank = shape.length;
  const index: number[] = new Array<number>(rank).fill(0);
  const at = (depth: number) => () => {
    let p = path;
    for (let d = 0; d <= depth; d++) p += `/${index[d]}`;
    return p;
  };
  let k = 0;
  const visit = (arr: unknown[], depth: number): void => {
    const len = shape[depth] as number;
    if (arr.length !== len) {
      fail(at(depth - 1)(), `ragged nesting: ${arr.length} elements where ${len} were expected`);
    }
    if (depth === rank - 1) {
      for (let i = 0; i < len; i++) {
        const v = arr[i];
        if (typeof v === 'number' && !int) {
          out[k++] = v;
          continue;
        }
        index[depth] = i;
        if (Array.isArray(v)) fail(at(depth)(), 'ragged nesting: an array where a number was expected');
        out[k++] = int ? intElement(v, at(depth)) : floatElement(v, at(depth));
      }
      return;
    }
    for (let i = 0; i < len; i++) {
      index[depth] = i;
      const v = arr[i];
      if (!Array.isArray(v)) fail(at(depth)(), `ragged nesting: ${describe(v)} where an array was expected`);
      visit(v, depth + 1);
    }
  };
  visit(root, 0);
}

// ---------------------------------------------------------------- b64 form

/** Bytes that a base64 string decodes to, or -1 when its length cannot be base64. */
function base64Bytes(s: string): number {
  const len = s.length;
  let pad = 0;
  if (len > 0 && s.charCodeAt(len - 1) === 61 /* = */) pad = len > 1 && s.charCodeAt(len - 2) === 61 ? 2 : 1;
  return base64Length(len, pad);
}

/**
 * Thrown when base64 text cut from the body's bytes (./body.ts) holds a character outside the
 * alphabet, or a tensor with an array cut from the body is refused: the caller then parses the
 * original body as JSON and decodes it again, so that whatever is wrong is reported exactly as
 * it would have been (src/pipeline/parse-body.ts, withBody).
 */
export class ReparseRequired extends Error {
  constructor() {
    super('b64 text cut from the body needs the reference path');
  }
}

/**
 * Decodes base64 into `bytes` exactly, or fails naming the b64 member. `s` is the text, or a
 * placeholder that `cuts` maps to the text's bytes (a value cut from the body).
 */
function writeBase64(s: string, bytes: Uint8Array, path: string, cuts: Cuts | undefined): void {
  const want = bytes.byteLength;
  const text = cuts?.b64(s);
  const have = text === undefined ? base64Bytes(s) : base64Length(text.length, paddingOf(text));
  if (have !== want) {
    fail(path, have < 0 ? 'not valid base64' : `holds ${have} bytes where the shape and dtype need ${want}`);
  }
  if (text !== undefined) {
    if (!decodeBase64(text, bytes)) throw new ReparseRequired();
    return;
  }
  // Node skips characters outside the alphabet, so a short write means a bad character.
  const written = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).write(s, 'base64');
  if (written !== want) fail(path, 'not valid base64');
}

// ---------------------------------------------------------------- object forms

function readShape(v: unknown, path: string): number[] {
  if (!Array.isArray(v)) return fail(path, 'shape must be an array of non-negative integers');
  if (v.length > MAX_RANK) return fail(path, `rank ${v.length} is above the maximum rank ${MAX_RANK}`);
  const shape: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const d = v[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      fail(`${path}/${i}`, `dimension must be a non-negative integer, got ${describe(d)}`);
    }
    shape.push(d);
  }
  return shape;
}

function numelChecked(shape: readonly number[], path: string): number {
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n)) fail(path, 'shape has too many elements', 'LOSSD_TOO_MANY_ELEMENTS');
  return n;
}

const OBJECT_KEYS = new Set(['shape', 'data', 'dtype', 'b64']);

interface ObjectForm {
  shape: number[];
  n: number;
  dtype: WireDType | undefined;
  /** The data member: parsed JSON, or the values of a flat array cut from the body. */
  data: readonly unknown[] | Float64Array | undefined;
  b64: string | undefined;
}

/** A placeholder's array (./body.ts), or undefined for any other value. */
function cutArray(v: unknown, cuts: Cuts | undefined): ReadArray | undefined {
  return typeof v === 'string' && cuts !== undefined ? cuts.array(v) : undefined;
}

function readObjectForm(
  v: Record<string, unknown>,
  path: string,
  budget: ElementBudget,
  cuts: Cuts | undefined,
): ObjectForm {
  for (const key of Object.keys(v)) {
    if (!OBJECT_KEYS.has(key))
      fail(`${path}/${pointerToken(key)}`, `unknown tensor member ${shown(key)} (expected shape, data, dtype or b64)`);
  }
  const shape = readShape(v.shape, `${path}/shape`);
  let dtype: WireDType | undefined;
  if (v.dtype !== undefined) {
    if (typeof v.dtype !== 'string' || !(WIRE_DTYPES as readonly string[]).includes(v.dtype)) {
      fail(`${path}/dtype`, `dtype must be one of ${WIRE_DTYPES.join(', ')}`);
    }
    dtype = v.dtype as WireDType;
  }
  const hasData = v.data !== undefined;
  const hasB64 = v.b64 !== undefined;
  if (hasData === hasB64) fail(path, 'a tensor object needs exactly one of "data" or "b64"');
  const n = numelChecked(shape, `${path}/shape`);
  // an empty tensor can still declare a huge dimension (shape [0, 1e15]), by which a kernel
  // sizes its buffers (cross_entropy's classes): a dimension is held to the limit as well
  const widest = shape.reduce((a, d) => Math.max(a, d), 0);
  if (n === 0 && widest > budget.remaining) {
    fail(
      `${path}/shape`,
      `dimension ${widest} is over what is left of the request's element limit (${Math.max(budget.remaining, 0)})`,
      'LOSSD_TOO_MANY_ELEMENTS',
    );
  }
  if (hasData) {
    const cut = cutArray(v.data, cuts);
    const data = cut !== undefined && cut.shape.length === 1 ? cut.values : v.data;
    if (!Array.isArray(data) && !(data instanceof Float64Array))
      fail(`${path}/data`, 'data must be a flat array of numbers');
    if (data.length !== n) {
      fail(`${path}/data`, `data has ${data.length} values, shape [${shape.join(', ')}] needs ${n}`);
    }
    spend(budget, n, path);
    return { shape, n, dtype, data, b64: undefined };
  }
  if (typeof v.b64 !== 'string') fail(`${path}/b64`, 'b64 must be a base64 string');
  if (dtype === undefined) fail(`${path}/dtype`, 'a b64 tensor needs a dtype (float32, float64, int32 or int64)');
  spend(budget, n, path);
  return { shape, n, dtype, data: undefined, b64: v.b64 };
}

/** The b64 member's values, as a view of `dtype` over its decoded bytes. */
function b64Values(
  form: ObjectForm,
  path: string,
  cuts: Cuts | undefined,
): Float64Array | Float32Array | Int32Array | BigInt64Array {
  const dtype = form.dtype as WireDType;
  // staged in a lent buffer (aligned: it starts its own ArrayBuffer), converted by the caller
  const bytes = lendBytes(form.n * ELEMENT_SIZE[dtype]);
  writeBase64(form.b64 as string, bytes, `${path}/b64`, cuts);
  switch (dtype) {
    case 'float64':
      return new Float64Array(bytes.buffer, 0, form.n);
    case 'float32':
      return new Float32Array(bytes.buffer, 0, form.n);
    case 'int32':
      return new Int32Array(bytes.buffer, 0, form.n);
    default:
      return new BigInt64Array(bytes.buffer, 0, form.n);
  }
}

// ---------------------------------------------------------------- public API

/** Every element is written by the decoder: no zero-fill. Lent until the request ends. */
function allocFloat(dtype: FloatDType, n: number): FloatArray {
  return lendFloat(dtype, n, false);
}

function decodeFloatOrThrow(
  v: unknown,
  path: string,
  dtype: FloatDType,
  budget: ElementBudget,
  cuts: Cuts | undefined,
): FloatTensor {
  if (Array.isArray(v)) {
    const shape = nestedShape(v, path);
    const n = numelChecked(shape, path);
    spend(budget, n, path);
    const out = allocFloat(dtype, n);
    fillNested(v, shape, out, path, false);
    return { shape, data: out };
  }
  const cut = cutArray(v, cuts);
  if (cut !== undefined) {
    const shape = [...cut.shape];
    spend(budget, numelChecked(shape, path), path);
    // read from the body as float64: the tensor is those values, or them rounded to float32
    if (dtype === 'float64') return { shape, data: cut.values };
    const out = allocFloat(dtype, cut.values.length);
    out.set(cut.values);
    return { shape, data: out };
  }
  if (!isPlainObject(v)) {
    spend(budget, 1, path);
    const out = allocFloat(dtype, 1);
    out[0] = floatElement(v, () => path);
    return { shape: [], data: out };
  }
  const form = readObjectForm(v, path, budget, cuts);
  if (form.data !== undefined) {
    const data = form.data;
    const round = form.dtype === 'float32';
    const int = form.dtype === 'int32' || form.dtype === 'int64';
    // read from the body as float64 already: the tensor is those values
    if (data instanceof Float64Array && dtype === 'float64' && !round && !int) return { shape: form.shape, data };
    const out = allocFloat(dtype, form.n);
    // plain numbers first, in a loop with nothing else in it; anything else (the non-finite
    // strings, or an element to refuse) continues element by element from where it stopped
    let i = 0;
    if (!int && !round) for (; i < form.n && typeof data[i] === 'number'; i++) out[i] = data[i] as number;
    for (; i < form.n; i++) {
      const at = () => `${path}/data/${i}`;
      const x = int ? intElement(data[i], at) : floatElement(data[i], at);
      out[i] = round ? Math.fround(x) : x;
    }
    return { shape: form.shape, data: out };
  }
  if (form.dtype === dtype) {
    // Same element type on the wire and in memory: decode straight into the tensor.
    const out = allocFloat(dtype, form.n);
    writeBase64(form.b64 as string, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), `${path}/b64`, cuts);
    return { shape: form.shape, data: out };
  }
  const src = b64Values(form, path, cuts);
  const out = allocFloat(dtype, form.n);
  if (src instanceof BigInt64Array) {
    for (let i = 0; i < form.n; i++) out[i] = Number(src[i]);
  } else {
    out.set(src);
  }
  return { shape: form.shape, data: out };
}

function decodeIntOrThrow(v: unknown, path: string, budget: ElementBudget, cuts: Cuts | undefined): IntTensor {
  if (Array.isArray(v)) {
    const shape = nestedShape(v, path);
    const n = numelChecked(shape, path);
    spend(budget, n, path);
    const out = new Int32Array(n);
    fillNested(v, shape, out, path, true);
    return { shape, data: out };
  }
  const cut = cutArray(v, cuts);
  if (cut !== undefined) {
    const shape = [...cut.shape];
    spend(budget, numelChecked(shape, path), path);
    const values = cut.values;
    const out = new Int32Array(values.length);
    // a value to refuse is reported by the reference path (guard)
    for (let i = 0; i < values.length; i++) out[i] = intElement(values[i], () => path);
    return { shape, data: out };
  }
  if (!isPlainObject(v)) {
    spend(budget, 1, path);
    return { shape: [], data: Int32Array.of(intElement(v, () => path)) };
  }
  const form = readObjectForm(v, path, budget, cuts);
  const out = new Int32Array(form.n);
  if (form.data !== undefined) {
    const data = form.data;
    let i = 0;
    for (; i < form.n && isInt32(data[i]); i++) out[i] = data[i] as number;
    for (; i < form.n; i++) out[i] = intElement(data[i], () => `${path}/data/${i}`);
    return { shape: form.shape, data: out };
  }
  const src = b64Values(form, path, cuts);
  const wide = src instanceof BigInt64Array;
  for (let i = 0; i < form.n; i++) {
    const x = wide ? Number(src[i]) : (src[i] as number);
    out[i] = isInt32(x) ? x : intElement(x, () => `${path}/b64 (element ${i})`);
  }
  return { shape: form.shape, data: out };
}

export type Decoded<T> = { ok: true; tensor: T } | Failure;

function guard<T>(run: () => T, cuts: Cuts | undefined): Decoded<T> {
  try {
    return { ok: true, tensor: run() };
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    // a refusal names elements by their place in the JSON: the reference path knows it
    if (cuts?.hasArrays) throw new ReparseRequired();
    return failure(e.code, `${cutPointer(e.path)}: ${e.message}`, [{ path: e.path, message: e.message }]);
  }
}

/**
 * Decodes a float tensor argument written in any of the three forms. `cuts` resolves b64 values
 * and arrays cut from the body's bytes (./body.ts); may throw ReparseRequired for those.
 */
export function decodeFloat(
  v: unknown,
  path: string,
  dtype: FloatDType,
  budget: ElementBudget,
  cuts?: Cuts,
): Decoded<FloatTensor> {
  return guard(() => decodeFloatOrThrow(v, path, dtype, budget, cuts), cuts);
}

/** Decodes an integer tensor argument (class indices, lengths) written in any of the three forms. */
export function decodeInt(v: unknown, path: string, budget: ElementBudget, cuts?: Cuts): Decoded<IntTensor> {
  return guard(() => decodeIntOrThrow(v, path, budget, cuts), cuts);
}
