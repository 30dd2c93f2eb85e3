// Reductions (LOSSES.md 3.4) and the upstream factor G that reaches one element (3.5).

import type { Reduction } from './tensor.js';

/**
 * The factor reaching every element of a reduced loss: `g` for sum, `g / D` for a mean with
 * denominator `D` (`D = 0` gives ±inf or NaN, as in PyTorch). Unused for `none`.
 */
export function upstream(reduction: Reduction, g: number, denominator: number): number {
  return reduction === 'sum' ? g : g / denominator;
}

/** The reduced value of `sum` over `denominator` elements (`0 / 0 = NaN` for an empty mean). */
export function reduced(reduction: Reduction, sum: number, denominator: number): number {
  return reduction === 'sum' ? sum : sum / denominator;
}
