// Argument specs that many losses share. Each loss names its own arguments through these; the
// literal name, kind and presence they carry type the loss's `args` (ArgsOf).

import type { ArgSpec } from '../registry/types.js';

/** A prediction: required float, differentiable, in the default `grad_wrt`. */
export function predictionArg<N extends string>(name: N, description: string): ArgSpec<N, 'float', true> {
  return { name, kind: 'float', required: true, differentiable: true, gradByDefault: true, description };
}

/** A float target that PyTorch differentiates, but not by default. */
export function targetArg<N extends string>(name: N, description: string): ArgSpec<N, 'float', true> {
  return { name, kind: 'float', required: true, differentiable: true, gradByDefault: false, description };
}

/** A float argument PyTorch does not differentiate (e.g. a ±1 label). */
export function constantArg<N extends string>(name: N, description: string): ArgSpec<N, 'float', true> {
  return { name, kind: 'float', required: true, differentiable: false, gradByDefault: false, description };
}

/** An optional float argument PyTorch does not differentiate (e.g. a positive-class weight). */
export function optionalConstantArg<N extends string>(name: N, description: string): ArgSpec<N, 'float', false> {
  return { name, kind: 'float', required: false, differentiable: false, gradByDefault: false, description };
}

/** An integer argument: class indices or lengths (never differentiable). */
export function indexArg<N extends string>(name: N, description: string): ArgSpec<N, 'int', true> {
  return { name, kind: 'int', required: true, differentiable: false, gradByDefault: false, description };
}

/** An optional per-class weight. */
export function weightArg(
  description: string,
  differentiable = false,
  differentiableWhen?: string,
): ArgSpec<'weight', 'float', false> {
  return {
    name: 'weight',
    kind: 'float',
    required: false,
    differentiable,
    gradByDefault: false,
    description,
    ...(differentiableWhen === undefined ? {} : { differentiableWhen }),
  };
}

// Example tensors (2 × 3) for the many descriptors whose arguments can take them: predictions
// in (0, 1), and 0/1 labels. Each descriptor's `example` still names its own arguments.
export const EXAMPLE_X = [
  [0.3, 0.7, 0.2],
  [0.6, 0.4, 0.9],
];
export const EXAMPLE_X2 = [
  [0.5, 0.1, 0.8],
  [0.2, 0.9, 0.3],
];
export const EXAMPLE_X3 = [
  [0.9, 0.3, 0.6],
  [0.1, 0.5, 0.7],
];
export const EXAMPLE_LABELS = [
  [1, 0, 1],
  [0, 1, 1],
];

/** The example of a class-index loss: logits of 2 samples over 3 classes, and their classes. */
export const CLASS_INDEX_EXAMPLE = {
  input: [
    [2, 0.5, -1],
    [0.1, 0.2, 0.3],
  ],
  target: [0, 2],
};

/** The example of a loss of an `input` prediction and a `target`. */
export const PAIR_EXAMPLE = { input: EXAMPLE_X, target: EXAMPLE_LABELS };
