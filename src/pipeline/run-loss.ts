// One loss request, from its parsed JSON body to the JSON text of the response, as a pure
// function with no Fastify dependency: validate the envelope (Zod) → decode tensors → check
// grad_wrt → meta check of the loss → grad_output → kernel → encode. It runs in the worker
// threads, and can run anywhere else a body is at hand (LOSSES.md 3.1 gives the order).

import type { z } from 'zod';
import { cutPointer, shown } from '../bounded-text.js';
import { lendFloat32, lendFloat64, releaseRequestBuffers } from '../codec/arena.js';
import type { Cuts } from '../codec/body.js';
import { decodeFloat, decodeInt, type ElementBudget, type FloatDType } from '../codec/decode.js';
import { type Encoding, type Helper, JsonWriter, jsonNumber, maxTensorBytes, writeTensor } from '../codec/encode.js';
import { envelopeSchema } from '../contract/envelope.js';
import { type ErrorCode, type Failure, failure, type ProblemIssue, pointer } from '../errors.js';
import type { FastAlloc } from '../numeric/alloc.js';
import { sameShape, showShape } from '../numeric/shape.js';
import type { FloatArray, FloatTensor, IntTensor } from '../numeric/tensor.js';
import type { AnyLossDescriptor, Args } from '../registry/types.js';

export interface Limits {
  /** Most tensor elements one request may hold (LOSSD_MAX_ELEMENTS). */
  readonly maxElements: number;
  /**
   * The work all the requests sharing it may still do (a batch's items share one); a request
   * alone gets WORK_PER_ELEMENT × maxElements.
   */
  readonly work?: WorkBudget;
}

/** Work left to spend, in the units of LossDescriptor.work. */
export interface WorkBudget {
  remaining: number;
}

/**
 * How much work a request may ask for per element it may hold: a loss whose cost grows faster
 * than its input (Sinkhorn's iterations × n × m, soft-DTW's n × m table) may cost at most as
 * much as this many maximal elementwise requests. With the default 16 Mi elements that is a
 * few seconds of one worker, well inside the default request timeout.
 */
export const WORK_PER_ELEMENT = 16;

/** A fresh budget for one request, or one batch, under `maxElements`. */
export function workBudget(maxElements: number): WorkBudget {
  return { remaining: WORK_PER_ELEMENT * maxElements };
}

export interface Success {
  readonly ok: true;
  /** The UTF-8 JSON of the response body, in an ArrayBuffer of its own (transferable). */
  readonly body: Uint8Array;
  /**
   * When another worker wrote part of the body: the rest of it, in order after `body` (each in
   * a transferable buffer; a part's bytes are never copied into another's).
   */
  readonly parts?: readonly Uint8Array[];
  /** The same body as text (decoded on demand: tests and small callers). */
  readonly json: string;
  readonly loss: string;
  readonly elements: number;
  readonly kernelMs: number;
}

export type Outcome = Success | Failure;

const RANGE_CODES = new Set(['too_small', 'too_big', 'not_multiple_of', 'custom']);

/** Zod issues → problem issues with JSON Pointers; unknown keys get one issue each. */
export function envelopeFailure(error: z.ZodError, body: Record<string, unknown>, loss: AnyLossDescriptor): Failure {
  const optionKeys = new Set(Object.keys(loss.options.shape));
  const tensorKeys = new Set(loss.args.map((a) => a.name));
  const issues: ProblemIssue[] = [];
  let code: ErrorCode = 'LOSSD_INVALID_REQUEST';
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({
          path: pointer([...issue.path.map(String), key]),
          message: `unknown key ${shown(key)} for ${loss.name}`,
        });
      }
      continue;
    }
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const key = String(path[0] ?? '');
    if (path.length === 1 && body[key] === undefined) {
      issues.push({
        path: pointer(path),
        message: `missing required ${tensorKeys.has(key) ? 'argument' : 'key'} "${key}"`,
      });
      continue;
    }
    if (optionKeys.has(key) && RANGE_CODES.has(issue.code) && issues.length === 0) code = 'LOSSD_INVALID_OPTION';
    issues.push({ path: pointer(path), message: issue.message });
  }
  const first = issues[0];
  return failure(code, first ? `${cutPointer(first.path)}: ${first.message}` : 'invalid request', issues);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const alloc64: FastAlloc = Object.assign((n: number): FloatArray => lendFloat64(n), {
  uninitialized: (n: number): FloatArray => lendFloat64(n, false),
});
const alloc32: FastAlloc = Object.assign((n: number): FloatArray => lendFloat32(n), {
  uninitialized: (n: number): FloatArray => lendFloat32(n, false),
});

/**
 * The allocator kernels receive for a request of `dtype`: zero-filled arrays lent from this
 * thread's request buffers (src/codec/arena.ts), given back once the response is encoded.
 */
export function allocator(dtype: FloatDType): FastAlloc {
  return dtype === 'float32' ? alloc32 : alloc64;
}

/** Gives the finished request's buffers back for reuse (exported for the benchmarks). */
export const releaseBuffers = releaseRequestBuffers;

function gradFailure(index: number, message: string): Failure {
  const path = `/grad_wrt/${index}`;
  return failure('LOSSD_GRADIENT_UNAVAILABLE', `${path}: ${message}`, [{ path, message }]);
}

/** What the worker adds for large bodies; the pipeline is the same without them. */
export interface Extras {
  /** b64 values and arrays cut from the body's bytes (src/codec/body.ts), by placeholder. */
  readonly cuts?: Cuts;
  /** Another worker that may write half of a large response tensor (src/pool/worker.ts). */
  readonly helper?: Helper;
}

/**
 * Computes one loss request. Never throws for anything a client can send, except
 * ReparseRequired when `extras.cuts` holds something only the reference path reports exactly:
 * the caller then runs it again without.
 */
export function runLoss(loss: AnyLossDescriptor, body: unknown, limits: Limits, extras: Extras = {}): Outcome {
  try {
    return compute(loss, body, limits, extras);
  } finally {
    // the response exists (or the request failed): nothing reads the request's arrays any more
    releaseRequestBuffers();
  }
}

function compute(loss: AnyLossDescriptor, body: unknown, limits: Limits, { cuts, helper }: Extras): Outcome {
  if (!isPlainObject(body)) {
    return failure('LOSSD_INVALID_REQUEST', 'the body must be a JSON object', [
      { path: '', message: 'expected a JSON object' },
    ]);
  }
  const parsed = envelopeSchema(loss).safeParse(body);
  if (!parsed.success) return envelopeFailure(parsed.error, body, loss);
  const env = parsed.data as Record<string, unknown>;
  const dtype = env.dtype as FloatDType;
  const encoding = env.encoding as Encoding;

  // Tensors, in the order the loss declares them.
  const budget: ElementBudget = { remaining: limits.maxElements };
  const args: Record<string, FloatTensor | IntTensor> = {};
  for (const spec of loss.args) {
    const raw = env[spec.name];
    if (raw === undefined) continue;
    const path = `/${spec.name}`;
    const d = spec.kind === 'int' ? decodeInt(raw, path, budget, cuts) : decodeFloat(raw, path, dtype, budget, cuts);
    if (!d.ok) return d;
    args[spec.name] = d.tensor;
  }

  const wrt = checkGradWrt(loss, args, env.grad_wrt as string[] | undefined);
  if (!Array.isArray(wrt)) return wrt;

  // grad_output is decoded like a tensor argument (step 8).
  let gradOut: FloatTensor | null = null;
  if (env.grad_output !== undefined) {
    const d = decodeFloat(env.grad_output, '/grad_output', dtype, budget, cuts);
    if (!d.ok) return d;
    gradOut = d.tensor;
  }

  const result = computeChecked(loss, { args, wrt, gradOut, opts: optionValues(loss, env), dtype }, limits);
  if (!result.ok) return result;
  return encodeV1(loss, result, encoding, helper);
}

/** The loss's options from a validated envelope (or v2 parameters), defaults filled in. */
export function optionValues(loss: AnyLossDescriptor, env: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(loss.options.shape).map((k) => [k, env[k]]));
}

/**
 * grad_wrt (given, or the default: the prediction arguments present) against what can be
 * differentiated at all (LOSSES.md 3.1 step 7). Failures point at /grad_wrt/i.
 */
export function checkGradWrt(
  loss: AnyLossDescriptor,
  args: Readonly<Record<string, FloatTensor | IntTensor>>,
  wrtRaw: readonly string[] | undefined,
): string[] | Failure {
  const wrt = wrtRaw ?? loss.args.filter((a) => a.gradByDefault && args[a.name] !== undefined).map((a) => a.name);
  for (let i = 0; i < wrt.length; i++) {
    const name = wrt[i] as string;
    const spec = loss.args.find((a) => a.name === name);
    if (spec === undefined) return gradFailure(i, `${shown(name)} is not a tensor argument of ${loss.name}`);
    if (wrt.indexOf(name) !== i) return gradFailure(i, `${shown(name)} is listed twice`);
    if (args[name] === undefined) return gradFailure(i, `${shown(name)} is not in the request`);
    if (spec.kind === 'int') return gradFailure(i, `"${name}" is an integer argument`);
    if (!spec.differentiable) return gradFailure(i, `${loss.name} is not differentiable with respect to "${name}"`);
  }
  return [...wrt];
}

/** One request reduced to what the kernel needs, whatever envelope it came in (v1, v2). */
export interface DecodedRequest {
  readonly args: Readonly<Record<string, FloatTensor | IntTensor>>;
  /** Checked by checkGradWrt. */
  readonly wrt: readonly string[];
  readonly gradOut: FloatTensor | null;
  readonly opts: Record<string, unknown>;
  readonly dtype: FloatDType;
}

/** What the kernel answered, before any envelope writes it. */
export interface Computed {
  readonly ok: true;
  readonly loss: number | FloatArray;
  readonly lossShape: readonly number[];
  readonly grads: Readonly<Record<string, FloatArray>>;
  readonly request: DecodedRequest;
  readonly elements: number;
  readonly kernelMs: number;
}

/**
 * The loss's meta check, grad_output against the loss's shape, then the kernel (LOSSES.md 3.1
 * steps 9-11). Failures carry v1 paths (/input/3, /grad_wrt/0, /grad_output, /reduction).
 */
export function computeChecked(loss: AnyLossDescriptor, request: DecodedRequest, limits: Limits): Computed | Failure {
  const { args, wrt, gradOut, opts, dtype } = request;
  // The loss's own meta step: shapes, option ranges, values (step 9).
  const checked = loss.check(args as Args, opts);
  if (!checked.ok) {
    const first = checked.issues[0];
    return failure(
      checked.code,
      first ? `${cutPointer(first.path)}: ${first.message}` : 'invalid request',
      checked.issues,
    );
  }
  for (let i = 0; i < wrt.length; i++) {
    const reason = checked.notDifferentiable?.[wrt[i] as string];
    if (reason !== undefined) return gradFailure(i, reason);
  }

  // A cost beyond the elements' own (step 9, after the shapes are known): one budget per request
  // or per batch, spent before computing anything.
  if (loss.work !== undefined) {
    const budget = limits.work ?? workBudget(limits.maxElements);
    const { steps, path } = loss.work(args as Args, opts, checked.plan);
    if (!(steps <= budget.remaining)) {
      const message = `${loss.name} would take about ${steps} steps; at most ${budget.remaining} are left (${WORK_PER_ELEMENT} × LOSSD_MAX_ELEMENTS per request or batch)`;
      return failure('LOSSD_TOO_MUCH_WORK', `${path}: ${message}`, [{ path, message }]);
    }
    budget.remaining -= steps;
  }

  // grad_output must have the loss's shape when a gradient is computed (step 10).
  const lossShape = checked.lossShape;
  const reducedLoss = (opts as { reduction?: string }).reduction !== 'none';
  let g = 1;
  let gamma: FloatArray | null = null;
  if (gradOut !== null && wrt.length > 0) {
    if (!sameShape(gradOut.shape, lossShape)) {
      const message = `grad_output has shape ${showShape(gradOut.shape)}, the loss has shape ${showShape(lossShape)}`;
      return failure('LOSSD_INVALID_GRAD_OUTPUT', `/grad_output: ${message}`, [{ path: '/grad_output', message }]);
    }
    if (reducedLoss) g = gradOut.data[0] as number;
    else gamma = gradOut.data;
  }

  const t0 = performance.now();
  const result = loss.compute(args as Args, opts, checked.plan, { wrt, g, gamma }, allocator(dtype));
  const kernelMs = performance.now() - t0;
  let elements = 0;
  for (const t of Object.values(args)) elements += t.data.length;
  return { ok: true, loss: result.loss, lossShape, grads: result.grads, request, elements, kernelMs };
}

/** The v1 response body: {"loss": ..., "grad": {...}} in the request's encoding. */
function encodeV1(loss: AnyLossDescriptor, result: Computed, encoding: Encoding, helper: Helper | undefined): Success {
  const { lossShape } = result;
  const { args, wrt, dtype } = result.request;
  // One writer for the whole body, sized for the worst case up front (untouched pages of it
  // cost nothing), so that it never grows while large tensors are written.
  let capacity = 64;
  const lossTensor = typeof result.loss === 'number' ? null : result.loss;
  if (lossTensor !== null)
    capacity += maxTensorBytes(lossTensor.length, lossShape.length, encoding, lossTensor.BYTES_PER_ELEMENT);
  for (const name of wrt) {
    const data = result.grads[name] as FloatArray;
    capacity +=
      16 +
      name.length +
      maxTensorBytes(data.length, (args[name] as FloatTensor).shape.length, encoding, data.BYTES_PER_ELEMENT);
  }
  const out = new JsonWriter(capacity);
  out.ascii('{"loss":');
  if (lossTensor === null)
    out.ascii(jsonNumber(dtype === 'float32' ? Math.fround(result.loss as number) : (result.loss as number)));
  else writeTensor(out, lossTensor, lossShape, encoding, helper);
  if (wrt.length > 0) {
    out.ascii(',"grad":{');
    for (let i = 0; i < wrt.length; i++) {
      const name = wrt[i] as string;
      out.ascii(`${i > 0 ? ',' : ''}"${name}":`);
      writeTensor(out, result.grads[name] as FloatArray, (args[name] as FloatTensor).shape, encoding, helper);
    }
    out.byte(125 /* } */);
  }
  out.byte(125 /* } */);
  const [body, ...parts] = out.chunks() as [Uint8Array, ...Uint8Array[]];
  return {
    ok: true,
    body,
    ...(parts.length === 0 ? {} : { parts }),
    get json() {
      return Buffer.concat([body, ...parts]).toString('utf8');
    },
    loss: loss.name,
    elements: result.elements,
    kernelMs: result.kernelMs,
  };
}
