// The contract between a loss and the rest of lossd.
//
// A loss is one kernel file that exports one `LossDescriptor`. Everything else (routes,
// validation, aliases, discovery, OpenAPI, the worker's dispatch) is derived from the
// descriptors in `src/registry/index.ts`; nothing about a particular loss is written twice.
//
// Kernels see only typed arrays and plain numbers: no Fastify, no Zod parsing, no JSON.

import type { z } from 'zod';
import type { Alloc, FloatArray, FloatTensor, IntTensor } from '../numeric/tensor.js';

/**
 * How the decoder reads an argument.
 * - `float`: any real (and the non-finite strings); rounded to float32 under `dtype: "float32"`.
 * - `int`: finite integral values only (class indices, lengths), as an Int32Array.
 * - `float-or-int`: decoded as float; the loss decides from the shapes which one it is and
 *   checks integrality itself (cross_entropy's `target`, LOSSES.md 3.2).
 */
export type ArgKind = 'float' | 'int' | 'float-or-int';

export interface ArgSpec<N extends string = string, K extends ArgKind = ArgKind, R extends boolean = boolean> {
  /** PyTorch's parameter name, also the JSON key. */
  readonly name: N;
  readonly kind: K;
  readonly required: R;
  /** PyTorch can differentiate this argument in at least one use. */
  readonly differentiable: boolean;
  /** Part of the default `grad_wrt` (the prediction arguments). */
  readonly gradByDefault: boolean;
  /** When differentiability depends on the request, says when (discovery text). */
  readonly differentiableWhen?: string;
  readonly description: string;
}

/** One problem found in a request, with a JSON Pointer into it. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** The classes of 400 a loss's own checks can report (LOSSES.md 3.1 step 9). */
export type CheckCode = 'LOSSD_SHAPE_MISMATCH' | 'LOSSD_INVALID_VALUE' | 'LOSSD_INVALID_OPTION';

export interface CheckFailure {
  readonly ok: false;
  readonly code: CheckCode;
  readonly issues: readonly Issue[];
}

export interface CheckSuccess<P> {
  readonly ok: true;
  /** Shape of the loss as returned: `[]` for a reduced loss, the `none` shape otherwise. */
  readonly lossShape: readonly number[];
  /**
   * Arguments that PyTorch cannot differentiate in this particular request, with the
   * reason (e.g. cross_entropy's `weight` with class-index targets).
   */
  readonly notDifferentiable?: Readonly<Record<string, string>>;
  /** Whatever the kernel wants to carry over from the meta step (modes, sizes, converted targets). */
  readonly plan: P;
}

export type CheckResult<P> = CheckSuccess<P> | CheckFailure;

/** Decoded tensor arguments, by PyTorch name. Absent optional arguments are missing keys. */
export type Args = Readonly<Record<string, FloatTensor | IntTensor | undefined>>;

/** The decoded tensor of an argument of kind K (`float-or-int` is decoded as float). */
export type TensorOf<K extends ArgKind> = K extends 'int' ? IntTensor : FloatTensor;

/** A loss's own arguments, typed from its specs: required ones present, optional ones maybe. */
export type ArgsOf<A extends readonly ArgSpec[]> = {
  readonly [S in A[number] as S['name']]: S['required'] extends true
    ? TensorOf<S['kind']>
    : TensorOf<S['kind']> | undefined;
};

/** What the kernel is asked to produce besides the loss. */
export interface GradRequest {
  /** Names of the arguments whose gradient is wanted (possibly empty). */
  readonly wrt: readonly string[];
  /**
   * The upstream gradient. For a reduced loss, `g` is the number and `gamma` is null.
   * For `reduction: "none"`, `gamma` holds `Γ` (numel of the loss shape) and `g` is 1.
   */
  readonly g: number;
  readonly gamma: FloatArray | null;
}

export interface KernelResult {
  /** A number for a reduced loss; a typed array of `numel(lossShape)` for `none`. */
  readonly loss: number | FloatArray;
  /** One array per requested gradient, with the argument's own numel. */
  readonly grads: Readonly<Record<string, FloatArray>>;
}

/** What a request costs beyond its elements (LossDescriptor.work). */
export interface Work {
  readonly steps: number;
  /** JSON Pointer of what drives the cost (an iteration count, the longer tensor). */
  readonly path: string;
}

export interface LossDescriptor<
  O extends Record<string, unknown> = Record<string, unknown>,
  P = unknown,
  A extends Args = Args,
> {
  /** `torch.nn.functional` name (or the reference's name beyond it). */
  readonly name: string;
  readonly aliases: readonly string[];
  readonly summary: string;
  /** Per-element formula, plain text. */
  readonly formula: string;
  /** The same formula in LaTeX. */
  readonly latex: string;
  /** Where the semantics come from (PyTorch function, library, paper). */
  readonly reference: string;
  readonly args: readonly ArgSpec[];
  /**
   * Options with PyTorch's defaults; simple ranges live here too so they reach validation and
   * OpenAPI from one place. Its keys are merged into the request envelope.
   */
  readonly options: z.ZodObject<z.ZodRawShape>;
  /**
   * A v1 request body that answers 200: tensors as nested arrays, options only where the
   * defaults would not do. Discovery, OpenAPI, the playground and the bench seed from it, and
   * the conformance suite gradient-checks every loss on it.
   */
  readonly example: Readonly<Record<string, unknown>>;
  /** Marker for the option type (never read at run time). */
  readonly __options?: O;
  /** Meta step: shapes, option ranges and values. The kernel may then assume valid input. */
  check(args: A, opts: O): CheckResult<P>;
  /**
   * For a loss whose cost grows faster than its input: the steps the kernel will take for this
   * (checked) request, forward and backward together, in units of one element of an ordinary
   * elementwise loss. The pipeline refuses a request above its work budget (a fixed multiple of
   * the element limit) with 413 before computing anything. Absent: the cost is linear in the
   * elements, which the element limit already bounds.
   */
  work?(args: A, opts: O, plan: P): Work;
  /**
   * Forward and backward together, on purpose: every request wants the loss and its
   * gradients, and one pass shares what both need (differences, exponentials, row sums).
   */
  compute(args: A, opts: O, plan: P, grad: GradRequest, alloc: Alloc): KernelResult;
}

/**
 * Builds a descriptor, inferring the option type from its Zod schema, the plan from `check`,
 * and the type of `args` in `check` and `compute` from the argument specs.
 */
export function defineLoss<S extends z.ZodRawShape, P, const A extends readonly ArgSpec[]>(
  d: Omit<LossDescriptor<z.output<z.ZodObject<S>>, P, ArgsOf<A>>, 'options' | '__options' | 'args'> & {
    readonly options: z.ZodObject<S>;
    readonly args: A;
  },
): LossDescriptor<z.output<z.ZodObject<S>>, P, ArgsOf<A>> {
  return Object.freeze(d) as LossDescriptor<z.output<z.ZodObject<S>>, P, ArgsOf<A>>;
}

/** Erases a descriptor's option, plan and argument types so that descriptors can share one list. */
// biome-ignore lint/suspicious/noExplicitAny: descriptors are heterogeneous by design
export type AnyLossDescriptor = LossDescriptor<any, any, any>;
