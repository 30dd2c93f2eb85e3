// sparsemax_loss, optax.losses.multiclass_sparsemax_loss (Martins & Astudillo 2016,
// arXiv:1602.02068): the Fenchel–Young loss of the Gini entropy, whose prediction map is the
// sparsemax, the Euclidean projection of the scores onto the simplex. (optax's own
// `sparsemax_loss` is the binary case: this loss on the scores [0, x].)
//
// optax's projection_simplex, arithmetic in its order: u = z sorted decreasingly,
//   k = #{i : 1/i + (u_i - cumsum(u)_i / i) > 0},   p = relu(1/k + (z - cumsum(u)_k / k))
// and its loss, with z' = z - z_y (0 at the label):
//   ℓ = p·where(p, z', 0) + ½ (1 - p·p)
// The `where` keeps a -inf score outside the support from reaching the loss (0, not -inf·0).
//
// Backward: optax differentiates the projection by its custom JVP
// (supp ⊙ v - (supp·v / |supp|) supp, supp = [p > 0]); through it the terms in ∂p cancel
// (z' - p is constant on the support), and what is left is
//   ∂ℓ/∂z = p - onehot(y)
// An entry exactly at the threshold has p = 0: outside the support, gradient 0 (or -1 at y).

import { z } from 'zod';
import type { FloatArray } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import { defineLoss } from '../registry/types.js';
import { checkScoreRows, computeScoreRows, scoreRowArgs, scoreRowExample } from './score-rows.js';

const OP = 'sparsemax_loss';

const options = z.object({ reduction: reductionOption() });

/** Rows up to this many classes are sorted in place here: the native sort's call costs more. */
const SMALL_ROW = 32;

/** Increasing order of u[0..C), as the typed array's sort leaves it for finite values. */
function insertionSort(u: Float64Array, C: number): void {
  for (let i = 1; i < C; i++) {
    const v = u[i]!;
    let j = i - 1;
    while (j >= 0 && u[j]! > v) {
      u[j + 1] = u[j]!;
      j--;
    }
    u[j + 1] = v;
  }
}

/**
 * sparsemax(z) of the `C` scores at `s[o..]` into `p[0..C)`; `u` is scratch of length C. The
 * typed array's own numeric sort (increasing) is read from its end: u_i = sorted[C - i].
 */
export function projectSimplex(s: FloatArray, o: number, C: number, u: Float64Array, p: Float64Array): void {
  for (let j = 0; j < C; j++) u[j] = s[o + j]!;
  if (C <= SMALL_ROW) insertionSort(u, C);
  else u.sort();
  // p holds cumsum(u) until the projection overwrites it
  let cum = 0;
  let k = 0;
  for (let i = 1; i <= C; i++) {
    const ui = u[C - i]!;
    cum += ui;
    p[i - 1] = cum;
    if (1 / i + (ui - cum / i) > 0) k++;
  }
  // k = 0 only when no entry passes (a NaN row): optax then reads cumsum_u[-1] and divides by 0
  const cumK = p[k === 0 ? C - 1 : k - 1]!;
  for (let j = 0; j < C; j++) {
    const v = 1 / k + (s[o + j]! - cumK / k);
    p[j] = v > 0 ? v : Number.isNaN(v) ? v : 0;
  }
}

export const sparsemaxLoss = defineLoss({
  name: OP,
  aliases: [],
  summary: 'Sparsemax (Fenchel–Young) loss: a multiclass loss whose probabilities can be exactly zero.',
  formula: 'L = p . where(p, z - z[y], 0) + (1 - p . p) / 2, p = sparsemax(z) (projection onto the simplex)',
  latex:
    '\\ell = \\sum_j p_j [p_j \\ne 0] (z_j - z_y) + \\tfrac12\\bigl(1 - \\lVert p \\rVert^2\\bigr),\\quad p = \\operatorname{sparsemax}(z) = \\arg\\min_{q \\in \\Delta} \\lVert q - z \\rVert^2',
  reference: 'optax.losses.multiclass_sparsemax_loss (optax 0.2.9; Martins & Astudillo 2016, arXiv:1602.02068)',
  args: scoreRowArgs,
  options,
  example: scoreRowExample,
  check: (args, opts) => checkScoreRows(OP, args, opts.reduction),
  compute: (args, opts, plan, grad, alloc) => {
    const u = new Float64Array(plan.C);
    const p = new Float64Array(plan.C);
    return computeScoreRows(args, opts.reduction, plan, grad, alloc, (s, o, C, y, gs, Gi) => {
      projectSimplex(s, o, C, u, p);
      const sy = s[o + y]!;
      let lin = 0;
      let sq = 0;
      for (let j = 0; j < C; j++) {
        const pj = p[j]!;
        const zj = j === y ? 0 : s[o + j]! - sy;
        lin += pj * (pj !== 0 ? zj : 0);
        sq += pj * pj;
      }
      if (gs !== null) for (let j = 0; j < C; j++) gs[o + j] = Gi * (p[j]! - (j === y ? 1 : 0));
      return lin + 0.5 * (1 - sq);
    });
  },
});
