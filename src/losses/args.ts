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
