// Option schemas shared by several losses, each with PyTorch's default and its range.
// Range checks written here reach validation and OpenAPI alike (LOSSES.md 3.3).

import { z } from 'zod';

/** `reduction`: "none" | "mean" | "sum", default "mean" unless the reference says otherwise. */
export function reductionOption(fallback: 'none' | 'mean' | 'sum' = 'mean') {
  return z
    .enum(['none', 'mean', 'sum'])
    .default(fallback)
    .describe('How the per-element losses are reduced: "none", "mean" or "sum".');
}

/** A real-valued option (JSON number; non-finite values cannot be written). */
export function numberOption(fallback: number, description: string) {
  return z.number().default(fallback).describe(description);
}

/** An integer option: a JSON number with no fractional part (`1.0` reads as 1). */
export function integerOption(fallback: number, description: string) {
  return z.int().default(fallback).describe(description);
}

export function booleanOption(fallback: boolean, description: string) {
  return z.boolean().default(fallback).describe(description);
}

/** A label value whose elements are dropped from the loss, or null for none (Berman's `ignore`). */
export function ignoreLabelOption() {
  return z
    .int('ignore must be an integer')
    .nullable()
    .default(null)
    .describe('A label value whose pixels are dropped (null: none).');
}
