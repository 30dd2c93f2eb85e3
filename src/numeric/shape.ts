// Shapes: element counts, comparisons, NumPy/PyTorch broadcasting (LOSSES.md 3.6).

import type { FloatArray } from './tensor.js';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `[2, 3]` → `"[2, 3]"`, for error messages that name both shapes. */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Right-aligned broadcast of several shapes, or null when two dimensions disagree. */
export function broadcastShapes(...shapes: ReadonlyArray<readonly number[]>): number[] | null {
  let rank = 0;
  for (const s of shapes) rank = Math.max(rank, s.length);
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!;
      const o = out[off + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else return null;
    }
  }
  return out;
}

/** Row-major strides of `shape` laid against `outShape`, with 0 where `shape` is broadcast. */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const off = rank - shape.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    strides[off + i] = d === 1 ? 0 : s;
    s *= d;
  }
  return strides;
}

/**
 * Visits every element of `outShape` in row-major order and calls `visit(outIndex, srcIndex)`
 * with the index of the broadcast source element. Used only on the broadcast path (the kernels'
 * equal-shape path never calls it), so one call per element is acceptable here.
 */
function walkBroadcast(
  shape: readonly number[],
  outShape: readonly number[],
  visit: (outIndex: number, srcIndex: number) => void,
): void {
  const n = numel(outShape);
  if (n === 0) return;
  const rank = outShape.length;
  const strides = broadcastStrides(shape, outShape);
  const counter = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    visit(o, src);
    // odometer increment, keeping src in step
    for (let d = rank - 1; d >= 0; d--) {
      const c = counter[d]! + 1;
      if (c < outShape[d]!) {
        counter[d] = c;
        src += strides[d]!;
        break;
      }
      src -= (c - 1) * strides[d]!;
      counter[d] = 0;
    }
  }
}

/** The values of a tensor of `shape` broadcast to `outShape` (the same array when no change). */
export function expandTo(
  data: FloatArray,
  shape: readonly number[],
  outShape: readonly number[],
  alloc: (n: number) => FloatArray,
): FloatArray {
  if (sameShape(shape, outShape)) return data;
  const out = alloc(numel(outShape));
  walkBroadcast(shape, outShape, (o, s) => {
    out[o] = data[s]!;
  });
  return out;
}

/**
 * The gradient of a broadcast argument: `grad` (laid out as `outShape`) summed over every
 * dimension the argument lacked or had as 1 (LOSSES.md 3.5, "Broadcast arguments").
 */
export function sumTo(
  grad: FloatArray,
  outShape: readonly number[],
  shape: readonly number[],
  alloc: (n: number) => FloatArray,
): FloatArray {
  if (sameShape(shape, outShape)) return grad;
  const out = alloc(numel(shape));
  // Accumulate in float64 even for float32 requests, then round once on the final write.
  const acc = new Float64Array(out.length);
  walkBroadcast(shape, outShape, (o, s) => {
    acc[s] = acc[s]! + grad[o]!;
  });
  out.set(acc);
  return out;
}

/**
 * The class-dimension layout PyTorch uses for (C), (N, C) and (N, C, d1, ..., dk) inputs:
 * the class dim is 0 for a 1-D input and 1 otherwise. Position `(n, j)` has its class `c`
 * at flat index `n·C·inner + c·inner + j`; `inner = d1 ··· dk` (1 without spatial dims).
 */
export interface ClassLayout {
  /** Batch size (1 for an unbatched 1-D input). */
  readonly N: number;
  readonly C: number;
  /** Product of the spatial dimensions. */
  readonly inner: number;
  /** Shape of one value per position: `[]`, `[N]` or `[N, d1, ..., dk]`. */
  readonly positionShape: readonly number[];
}

/** Layout of an input of rank >= 1 (callers refuse 0-d inputs first). */
export function classLayout(shape: readonly number[]): ClassLayout {
  if (shape.length === 1) return { N: 1, C: shape[0]!, inner: 1, positionShape: [] };
  const spatial = shape.slice(2);
  return {
    N: shape[0]!,
    C: shape[1]!,
    inner: numel(spatial),
    positionShape: [shape[0]!, ...spatial],
  };
}
