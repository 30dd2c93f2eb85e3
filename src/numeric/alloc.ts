// Allocation helpers for kernels. An `Alloc` returns zero-filled arrays (the kernel contract);
// the pipeline's allocator may also offer `uninitialized`, for arrays whose every element the
// kernel writes itself, which saves a pass over memory. Kernels ask for it through
// `allocFull`, which falls back to the zero-filled allocator (tests pass plain functions).

import type { Alloc, FloatArray } from './tensor.js';

/** An allocator that can also hand out arrays without zero-filling them. */
export type FastAlloc = Alloc & { readonly uninitialized?: Alloc };

/** An array of `n` elements that the caller promises to write entirely before reading. */
export function allocFull(alloc: Alloc, n: number): FloatArray {
  const u = (alloc as FastAlloc).uninitialized;
  return u === undefined ? alloc(n) : u(n);
}
