// Raw tensor bytes (the Open Inference Protocol's binary tensor data extension) to typed arrays
// and back: little-endian, row-major, no padding. On a little-endian host (every platform Node
// ships for but s390x) an aligned input of the compute type is a view of the body's own bytes,
// with no copy at all; anything else is one copy, converting as it goes.

import type { FloatArray } from '../numeric/tensor.js';
import { lendFloat } from './arena.js';
import type { FloatDType } from './decode.js';

/** The protocol datatypes lossd reads and writes, with their size in bytes. */
export const RAW_SIZE = { FP64: 8, FP32: 4, INT64: 8, INT32: 4 } as const;
export type RawDatatype = keyof typeof RAW_SIZE;

/** Typed arrays store in host order; raw tensors are little-endian. Checked once. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Element `i` of `bytes` as a number, whatever the host order (the slow, general path). */
function readAt(view: DataView, datatype: RawDatatype, i: number): number {
  switch (datatype) {
    case 'FP64':
      return view.getFloat64(i * 8, true);
    case 'FP32':
      return view.getFloat32(i * 4, true);
    case 'INT32':
      return view.getInt32(i * 4, true);
    default:
      return Number(view.getBigInt64(i * 8, true));
  }
}

/**
 * `bytes` (n × RAW_SIZE[datatype]) as a host-order typed array of `datatype`: a view when the
 * host is little-endian and the bytes are aligned, else null (the caller converts element by
 * element).
 */
function hostView(
  bytes: Uint8Array,
  datatype: RawDatatype,
  n: number,
): Float64Array | Float32Array | Int32Array | BigInt64Array | null {
  if (!LITTLE_ENDIAN || bytes.byteOffset % RAW_SIZE[datatype] !== 0) return null;
  switch (datatype) {
    case 'FP64':
      return new Float64Array(bytes.buffer, bytes.byteOffset, n);
    case 'FP32':
      return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    case 'INT32':
      return new Int32Array(bytes.buffer, bytes.byteOffset, n);
    default:
      return new BigInt64Array(bytes.buffer, bytes.byteOffset, n);
  }
}

/**
 * A float tensor's values in the compute `dtype`: the body's own bytes when they already are
 * that type and aligned (the kernels never write their inputs), else one converting copy into
 * a lent array (FP64 → float32 rounds to nearest, as v1's float32 does).
 */
export function rawFloat(bytes: Uint8Array, datatype: RawDatatype, n: number, dtype: FloatDType): FloatArray {
  const same = (datatype === 'FP64' && dtype === 'float64') || (datatype === 'FP32' && dtype === 'float32');
  const view = hostView(bytes, datatype, n);
  if (same && view !== null) return view as FloatArray;
  const out = lendFloat(dtype, n, false);
  if (same && LITTLE_ENDIAN) {
    // misaligned: one byte copy into aligned memory
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  } else if (view instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) out[i] = Number(view[i]);
  } else if (view !== null) {
    out.set(view);
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = readAt(dv, datatype, i);
  }
  return out;
}

/** Why an integer argument's raw element was refused (the pipeline names the input). */
export interface RawIntRefusal {
  readonly index: number;
  readonly value: number;
  /** Integral but outside int32 (a value error), rather than not an integer at all. */
  readonly range: boolean;
}

/**
 * An integer argument's values as Int32Array, every element checked to be an integer in the
 * int32 range (INT64 and float datatypes alike, as v1 checks its b64 integers).
 */
export function rawInt(bytes: Uint8Array, datatype: RawDatatype, n: number): Int32Array | RawIntRefusal {
  const out = new Int32Array(n);
  const view = hostView(bytes, datatype, n);
  if (view instanceof Int32Array) {
    out.set(view);
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const x = view === null ? readAt(dv, datatype, i) : Number(view[i]);
    if (Number.isInteger(x) && x >= INT32_MIN && x <= INT32_MAX) out[i] = x;
    else return { index: i, value: x, range: Number.isInteger(x) };
  }
  return out;
}

/**
 * `data` as raw little-endian bytes: a view of its own bytes on a little-endian host (no copy),
 * else a converted copy.
 */
export function rawBytes(data: FloatArray): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  writeRaw(out, 0, data);
  return out;
}

/** Writes `data` little-endian at `at` in `out` (its bytes as they are, on a little-endian host). */
export function writeRaw(out: Uint8Array, at: number, data: FloatArray): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const dv = new DataView(out.buffer, out.byteOffset + at, data.byteLength);
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i] as number, true);
  else for (let i = 0; i < data.length; i++) dv.setFloat64(i * 8, data[i] as number, true);
}
