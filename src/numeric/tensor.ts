// The tensor types every layer shares, at the bottom so that nothing below them imports
// upward: kernels, numerics, the codec and the pipeline all speak in these.

/** Float tensors are Float64Array, or Float32Array when the request asks for `dtype: "float32"`. */
export type FloatArray = Float64Array | Float32Array;

/** A decoded float tensor. `data` is row-major with `numel(shape)` elements. */
export interface FloatTensor {
  readonly shape: readonly number[];
  readonly data: FloatArray;
}

/** A decoded integer tensor (class indices, lengths). */
export interface IntTensor {
  readonly shape: readonly number[];
  readonly data: Int32Array;
}

export type Reduction = 'none' | 'mean' | 'sum' | 'batchmean';

/** Allocates a zero-filled float array of the request's dtype. */
export type Alloc = (length: number) => FloatArray;
