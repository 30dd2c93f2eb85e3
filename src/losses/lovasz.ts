// The Lovász extension of the Jaccard loss (Berman, Rannen Triki & Blaschko 2018,
// arXiv:1705.08790), shared by lovasz_hinge_loss and lovasz_softmax_loss: a set of errors sorted
// in decreasing order, dotted with the weights of Algorithm 1, which depend only on the sorted
// ground truth g:
//
//   J_k = 1 - (Σg - cumsum(g)_k) / (Σg + cumsum(1 - g)_k)     w_1 = J_1,  w_k = J_k - J_(k-1)
//
// The loss is the same whatever the order among equal errors; the gradient is not. lossd sorts
// stably: equal errors keep their order in the set (the flattened, row-major pixel order), and
// NaN sorts first, above +inf, as torch.sort(descending=True) puts it.

import type { FloatArray } from '../registry/types.js';

/**
 * Reusable scratch for one set of up to `capacity` errors: the errors, the ground truth, the
 * sort order and the weights by rank.
 */
export interface LovaszScratch {
  readonly errors: FloatArray;
  readonly truth: Uint8Array;
  readonly order: Int32Array;
  readonly weights: Float64Array;
}

export function lovaszScratch(capacity: number, errors: FloatArray): LovaszScratch {
  return {
    errors,
    truth: new Uint8Array(capacity),
    order: new Int32Array(capacity),
    weights: new Float64Array(capacity),
  };
}

/**
 * Fills `order[0..n)` with the indices of `errors[0..n)` sorted by decreasing error, stably
 * (equal errors by increasing index; NaN first).
 */
export function sortDescending(errors: FloatArray, order: Int32Array, n: number): Int32Array {
  const o = order.subarray(0, n);
  for (let k = 0; k < n; k++) o[k] = k;
  o.sort((i, j) => {
    const a = errors[i] as number;
    const b = errors[j] as number;
    if (a > b) return -1;
    if (a < b) return 1;
    if (a !== b) {
      // at least one NaN: NaN is the largest
      const aNaN = Number.isNaN(a);
      if (aNaN !== Number.isNaN(b)) return aNaN ? -1 : 1;
    }
    return i - j;
  });
  return o;
}

/**
 * The Lovász loss of the set `errors[0..n)` with ground truth `truth[0..n)` (0/1):
 * Σ_r f(e_(r)) w_r with `f` the identity or relu. Leaves the sort order in `s.order` and the
 * weight of each rank in `s.weights`, for the backward.
 */
export function lovaszSorted(s: LovaszScratch, n: number, relu: boolean): number {
  const { errors, truth, weights } = s;
  const order = sortDescending(errors, s.order, n);
  let gts = 0;
  for (let k = 0; k < n; k++) gts += truth[k] as number;
  let cumG = 0;
  let cumNotG = 0;
  let previous = 0;
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const k = order[r] as number;
    const g = truth[k] as number;
    cumG += g;
    cumNotG += 1 - g;
    const jaccard = 1 - (gts - cumG) / (gts + cumNotG);
    const w = r === 0 ? jaccard : jaccard - previous;
    previous = jaccard;
    weights[r] = w;
    const e = errors[k] as number;
    loss += (relu ? (e > 0 ? e : e <= 0 ? 0 : e) : e) * w;
  }
  return loss;
}
