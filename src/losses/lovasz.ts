// The Lovász extension of the Jaccard loss (Berman, Rannen Triki & Blaschko 2018,
// arXiv:1705.08790), shared by lovasz_hinge_loss and lovasz_softmax_loss: a set of errors sorted
// in decreasing order, dotted with the weights of Algorithm 1, which depend only on the sorted
// ground truth g:
//
//   J_k = 1 - (Σg - cumsum(g)_k) / (Σg + cumsum(1 - g)_k)     w_1 = J_1,  w_k = J_k - J_(k-1)
//
// The loss is the same whatever the order among equal errors; the gradient is not. lossd sorts
// stably (../numeric/descending-order.ts): equal errors keep their order in the set (the
// flattened, row-major pixel order), and NaN sorts first, above +inf, as torch.sort does.

import { type SortScratch, sortDescending, sortScratch } from '../numeric/descending-order.js';
import type { Alloc, FloatArray, Reduction } from '../numeric/tensor.js';

/**
 * Reusable scratch for one set of up to `capacity` errors: the errors, the ground truth, the
 * sort (its order: the set's indices by rank) and the weights by rank.
 */
export interface LovaszScratch {
  readonly errors: FloatArray;
  readonly truth: Uint8Array;
  readonly sort: SortScratch;
  readonly weights: Float64Array;
}

export function lovaszScratch(capacity: number, errors: FloatArray): LovaszScratch {
  return { errors, truth: new Uint8Array(capacity), sort: sortScratch(capacity), weights: new Float64Array(capacity) };
}

/**
 * The Lovász loss of the set `errors[0..n)` with ground truth `truth[0..n)` (0/1):
 * Σ_r f(e_(r)) w_r with `f` the identity or relu. Leaves the order by rank in `s.sort.order` and the
 * weight of each rank in `s.weights`, for the backward.
 */
export function lovaszSorted(s: LovaszScratch, n: number, relu: boolean): number {
  const { errors, truth, weights } = s;
  const order = sortDescending(errors, n, s.sort);
  let gts = 0;
  for (let k = 0; k < n; k++) gts += truth[k]!;
  let cumG = 0;
  let cumNotG = 0;
  let previous = 0;
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const k = order[r]!;
    const g = truth[k]!;
    cumG += g;
    cumNotG += 1 - g;
    const jaccard = 1 - (gts - cumG) / (gts + cumNotG);
    const w = r === 0 ? jaccard : jaccard - previous;
    previous = jaccard;
    weights[r] = w;
    const e = errors[k]!;
    loss += (relu ? (e > 0 ? e : e <= 0 ? 0 : e) : e) * w;
  }
  return loss;
}

/**
 * The loss as answered, from the `sum` over the images' losses: per image, `out` (for "none")
 * or the sum or mean over the B images (Berman's mean(): 0 for no images); the whole batch as
 * one image, its loss, a 0-d tensor for "none".
 */
export function lovaszLoss(
  sum: number,
  out: FloatArray | null,
  B: number,
  perImage: boolean,
  reduction: Reduction,
  alloc: Alloc,
): number | FloatArray {
  if (out !== null) return out;
  if (reduction === 'none') {
    const loss = alloc(1);
    loss[0] = sum;
    return loss;
  }
  return perImage && reduction === 'mean' ? (B === 0 ? 0 : sum / B) : sum;
}
