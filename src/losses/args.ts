// Argument specs that many losses share. Each loss names its own arguments through these.

import type { ArgSpec } from '../registry/types.js';

/** A prediction: required float, differentiable, in the default `grad_wrt`. */
export function predictionArg(name: string, description: string): ArgSpec {
  return { name, kind: 'float', required: true, differentiable: true, gradByDefault: true, description };
}

/** A float target that PyTorch differentiates, but not by default. */
export function targetArg(name: string, description: string): ArgSpec {
  return { name, kind: 'float', required: true, differentiable: true, gradByDefault: false, description };
}

/** A float argument PyTorch does not differentiate (e.g. a ±1 label). */
export function constantArg(name: string, description: string, required = true): ArgSpec {
  return { name, kind: 'float', required, differentiable: false, gradByDefault: false, description };
}

/** An integer argument: class indices or lengths (never differentiable). */
export function indexArg(name: string, description: string): ArgSpec {
  return { name, kind: 'int', required: true, differentiable: false, gradByDefault: false, description };
}

/** An optional per-class weight. */
export function weightArg(description: string, differentiable = false, differentiableWhen?: string): ArgSpec {
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
