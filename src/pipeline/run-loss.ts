// One loss request, from its parsed JSON body to the JSON text of the response, as a pure
// function with no Fastify dependency: validate the envelope (Zod) → decode tensors → check
// grad_wrt → meta check of the loss → grad_output → kernel → encode. It runs in the worker
// threads, and can run anywhere else a body is at hand (LOSSES.md 3.1 gives the order).

import type { z } from 'zod';
import { decodeFloat, decodeInt, type ElementBudget, type FloatDType } from '../codec/decode.js';
import { type Encoding, encodeTensor, jsonNumber } from '../codec/encode.js';
import { type ErrorCode, type Failure, failure, type ProblemIssue, pointer } from '../errors.js';
import { sameShape, showShape } from '../numeric/shape.js';
import { envelopeSchema } from '../registry/envelope.js';
import type { AnyLossDescriptor, Args, FloatArray, FloatTensor, IntTensor } from '../registry/types.js';

export interface Limits {
  /** Most tensor elements one request may hold (LOSSD_MAX_ELEMENTS). */
  readonly maxElements: number;
}

export interface Success {
  readonly ok: true;
  /** The JSON text of the response body. */
  readonly json: string;
  readonly loss: string;
  readonly elements: number;
  readonly kernelMs: number;
}

export type Outcome = Success | Failure;

const RANGE_CODES = new Set(['too_small', 'too_big', 'not_multiple_of', 'custom']);

/** Zod issues → problem issues with JSON Pointers; unknown keys get one issue each. */
function envelopeFailure(error: z.ZodError, body: Record<string, unknown>, loss: AnyLossDescriptor): Failure {
  const optionKeys = new Set(Object.keys(loss.options.shape));
  const tensorKeys = new Set(loss.args.map((a) => a.name));
  const issues: ProblemIssue[] = [];
  let code: ErrorCode = 'LOSSD_INVALID_REQUEST';
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({
          path: pointer([...issue.path.map(String), key]),
          message: `unknown key "${key}" for ${loss.name}`,
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
  return failure(code, first ? `${first.path}: ${first.message}` : 'invalid request', issues);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function allocator(dtype: FloatDType): (n: number) => FloatArray {
  return dtype === 'float32' ? (n) => new Float32Array(n) : (n) => new Float64Array(n);
}

function gradFailure(index: number, message: string): Failure {
  const path = `/grad_wrt/${index}`;
  return failure('LOSSD_GRADIENT_UNAVAILABLE', `${path}: ${message}`, [{ path, message }]);
}

/** Computes one loss request. Never throws for anything a client can send. */
export function runLoss(loss: AnyLossDescriptor, body: unknown, limits: Limits): Outcome {
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
    const d = spec.kind === 'int' ? decodeInt(raw, path, budget) : decodeFloat(raw, path, dtype, budget);
    if (!d.ok) return d;
    args[spec.name] = d.tensor;
  }

  // grad_wrt: what can be differentiated at all (LOSSES.md 3.1 step 7).
  const wrtRaw = env.grad_wrt as string[] | undefined;
  const wrt = wrtRaw ?? loss.args.filter((a) => a.gradByDefault && args[a.name] !== undefined).map((a) => a.name);
  for (let i = 0; i < wrt.length; i++) {
    const name = wrt[i] as string;
    const spec = loss.args.find((a) => a.name === name);
    if (spec === undefined) return gradFailure(i, `"${name}" is not a tensor argument of ${loss.name}`);
    if (wrt.indexOf(name) !== i) return gradFailure(i, `"${name}" is listed twice`);
    if (args[name] === undefined) return gradFailure(i, `"${name}" is not in the request`);
    if (spec.kind === 'int') return gradFailure(i, `"${name}" is an integer argument`);
    if (!spec.differentiable) return gradFailure(i, `${loss.name} is not differentiable with respect to "${name}"`);
  }

  // grad_output is decoded like a tensor argument (step 8).
  let gradOut: FloatTensor | null = null;
  if (env.grad_output !== undefined) {
    const d = decodeFloat(env.grad_output, '/grad_output', dtype, budget);
    if (!d.ok) return d;
    gradOut = d.tensor;
  }

  // The loss's own meta step: shapes, option ranges, values (step 9).
  const opts = Object.fromEntries(Object.keys(loss.options.shape).map((k) => [k, env[k]]));
  const checked = loss.check(args as Args, opts);
  if (!checked.ok) {
    const first = checked.issues[0];
    return failure(checked.code, first ? `${first.path}: ${first.message}` : 'invalid request', checked.issues);
  }
  for (let i = 0; i < wrt.length; i++) {
    const reason = checked.notDifferentiable?.[wrt[i] as string];
    if (reason !== undefined) return gradFailure(i, reason);
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

  let json: string;
  if (typeof result.loss === 'number') {
    json = `{"loss":${jsonNumber(dtype === 'float32' ? Math.fround(result.loss) : result.loss)}`;
  } else {
    json = `{"loss":${encodeTensor(result.loss, lossShape, encoding)}`;
  }
  if (wrt.length > 0) {
    json += ',"grad":{';
    for (let i = 0; i < wrt.length; i++) {
      const name = wrt[i] as string;
      const data = result.grads[name] as FloatArray;
      const shape = (args[name] as FloatTensor).shape;
      json += `${i > 0 ? ',' : ''}"${name}":${encodeTensor(data, shape, encoding)}`;
    }
    json += '}';
  }
  json += '}';
  let elements = 0;
  for (const t of Object.values(args)) elements += t.data.length;
  return { ok: true, json, loss: loss.name, elements, kernelMs };
}
