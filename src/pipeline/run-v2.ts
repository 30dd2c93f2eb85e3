// One Open Inference Protocol v2 inference request, from its body bytes to the response bytes:
// the envelope (./v2-envelope.ts), then the very steps of a v1 request (./run-loss.ts: the same
// decoders, grad_wrt rules, checks, kernel and limits), then the v2 response: a JSON header with
// the outputs, followed by the raw bytes of those asked for in binary. Failures of the shared
// steps name v1 locations (/target/3, /grad_wrt/0, /reduction); they are mapped here onto the
// v2 request (/inputs/1/data/3, /outputs/0, /parameters/reduction).

import { keepFromArena, releaseRequestBuffers } from '../codec/arena.js';
import { decodeFloat, decodeInt, type ElementBudget, type FloatDType } from '../codec/decode.js';
import { JsonWriter, jsonNumber, maxTensorBytes } from '../codec/encode.js';
import { RAW_SIZE, rawBytes, rawFloat, rawInt } from '../codec/raw.js';
import { type Failure, failure, type ProblemIssue } from '../errors.js';
import type { FloatArray, FloatTensor, IntTensor } from '../numeric/tensor.js';
import type { AnyLossDescriptor, ArgKind } from '../registry/types.js';
import { type Computed, checkGradWrt, computeChecked, type Limits, optionValues } from './run-loss.js';
import {
  GRAD_OUTPUT,
  GRAD_PREFIX,
  LOSS_OUTPUT,
  readV2Request,
  type V2Input,
  type V2Output,
  type V2Request,
} from './v2-envelope.js';

export interface InferSuccess {
  readonly ok: true;
  /** The JSON response (the header, when binary outputs follow), in an ArrayBuffer of its own. */
  readonly body: Uint8Array;
  /** The binary outputs' bytes, in order, when there are any (each transferable). */
  readonly parts: readonly Uint8Array[] | undefined;
  readonly loss: string;
  readonly elements: number;
  readonly kernelMs: number;
}

const WIRE_DTYPE = { FP64: 'float64', FP32: 'float32', INT64: 'int64', INT32: 'int32' } as const;

/** Where a flat element index sits in a tensor of `shape`, as nested indices. */
function nestedIndex(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] as number;
    idx[d] = n === 0 ? 0 : rest % n;
    rest = n === 0 ? 0 : Math.floor(rest / n);
  }
  return idx;
}

/** Data written nested as the shape (rather than flat): its first element is an array. */
const isNested = (input: V2Input) => input.shape.length > 1 && input.data !== undefined && Array.isArray(input.data[0]);

/**
 * Nested data to its row-major elements, each dimension checked against the shape (ragged data
 * is a 400 even when the count matches).
 */
function flatten(input: V2Input, data: unknown[]): unknown[] | Failure {
  const { shape } = input;
  const rank = shape.length;
  const out = new Array<unknown>(shape.reduce((a, b) => a * b, 1));
  let k = 0;
  let bad: ProblemIssue | null = null;
  const visit = (arr: unknown, depth: number, path: string): void => {
    if (bad !== null) return;
    const want = shape[depth] as number;
    if (!Array.isArray(arr)) {
      bad = { path, message: `ragged data: ${JSON.stringify(arr)} where an array of ${want} was expected` };
      return;
    }
    if (arr.length !== want) {
      bad = { path, message: `ragged data: ${arr.length} elements where shape [${shape.join(', ')}] needs ${want}` };
      return;
    }
    if (depth === rank - 1) {
      for (let i = 0; i < want; i++) {
        if (Array.isArray(arr[i])) {
          bad = { path: `${path}/${i}`, message: 'ragged data: an array where a number was expected' };
          return;
        }
        out[k++] = arr[i];
      }
      return;
    }
    for (let i = 0; i < want; i++) visit(arr[i], depth + 1, `${path}/${i}`);
  };
  visit(data, 0, `/inputs/${input.index}/data`);
  if (bad === null) return out;
  const issue = bad as ProblemIssue;
  return failure('LOSSD_INVALID_TENSOR', `${issue.path}: ${issue.message}`, [issue]);
}

/** A JSON input through v1's decoders (its {shape, data, dtype} form), paths into the v2 request. */
function decodeJson(
  input: V2Input,
  kind: ArgKind,
  dtype: FloatDType,
  budget: ElementBudget,
): { ok: true; tensor: FloatTensor | IntTensor } | Failure {
  const nested = isNested(input);
  const data = nested ? flatten(input, input.data as unknown[]) : (input.data as unknown[]);
  if (!Array.isArray(data)) return data;
  const form = { shape: input.shape, data, dtype: WIRE_DTYPE[input.datatype] };
  const path = `/inputs/${input.index}`;
  const d = kind === 'int' ? decodeInt(form, path, budget) : decodeFloat(form, path, dtype, budget);
  if (d.ok || !nested) return d;
  // an element of nested data is named by its nested indices, as it was written
  const element = new RegExp(`^${path}/data/(\\d+)$`);
  const errors = d.errors.map((e) => {
    const m = element.exec(e.path);
    if (m === null) return e;
    return { path: `${path}/data/${nestedIndex(Number(m[1]), input.shape).join('/')}`, message: e.message };
  });
  const first = errors[0];
  return { ...d, detail: first ? `${first.path}: ${first.message}` : d.detail, errors };
}

/** A binary input straight from the body's bytes. */
function decodeRaw(
  input: V2Input,
  kind: ArgKind,
  dtype: FloatDType,
  budget: ElementBudget,
): { ok: true; tensor: FloatTensor | IntTensor } | Failure {
  const raw = input.raw as Uint8Array;
  const n = raw.byteLength / RAW_SIZE[input.datatype];
  const path = `/inputs/${input.index}`;
  if (n > budget.remaining) {
    const message = `tensor holds ${n} elements, over what is left of the request's element limit (${Math.max(budget.remaining, 0)})`;
    return failure('LOSSD_TOO_MANY_ELEMENTS', `${path}: ${message}`, [{ path, message }]);
  }
  budget.remaining -= n;
  if (kind !== 'int')
    return { ok: true, tensor: { shape: input.shape, data: rawFloat(raw, input.datatype, n, dtype) } };
  const ints = rawInt(raw, input.datatype, n);
  if (ints instanceof Int32Array) return { ok: true, tensor: { shape: input.shape, data: ints } };
  const message = ints.range
    ? `element ${ints.index}: integer ${ints.value} is outside the int32 range`
    : `element ${ints.index}: expected an integer, got ${ints.value}`;
  return failure(ints.range ? 'LOSSD_INVALID_VALUE' : 'LOSSD_INVALID_TENSOR', `${path}: ${message}`, [
    { path, message },
  ]);
}

function decodeInput(input: V2Input, kind: ArgKind, dtype: FloatDType, budget: ElementBudget) {
  return input.raw === undefined ? decodeJson(input, kind, dtype, budget) : decodeRaw(input, kind, dtype, budget);
}

/**
 * A v1 location (what the shared steps and the losses' checks name) as the same place in the v2
 * request: a tensor argument → its input (an element → into its data, flat or nested as sent),
 * an option or dtype → its parameter, grad_wrt/i → the output that asked for that gradient.
 */
function v2Path(path: string, loss: AnyLossDescriptor, request: V2Request): string {
  if (path === '') return '';
  const [head = '', ...rest] = path.slice(1).split('/');
  const input = request.inputs.get(head);
  if (input !== undefined) {
    const at = `/inputs/${input.index}`;
    if (rest.length === 0 || input.raw !== undefined) return at;
    if (isNested(input) || rest.length !== input.shape.length) return `${at}/data/${rest.join('/')}`;
    let flat = 0;
    for (let d = 0; d < rest.length; d++) flat = flat * (input.shape[d] as number) + Number(rest[d]);
    return `${at}/data/${flat}`;
  }
  if (head === 'grad_wrt') {
    const grads = request.outputs?.filter((o) => o.name !== LOSS_OUTPUT) ?? [];
    const out = grads[Number(rest[0])];
    return out === undefined ? '/outputs' : `/outputs/${out.index}`;
  }
  if (head === 'dtype' || Object.hasOwn(loss.options.shape, head)) return `/parameters/${head}`;
  return path;
}

function onV2(f: Failure, loss: AnyLossDescriptor, request: V2Request): Failure {
  const errors = f.errors.map((e) => ({ path: v2Path(e.path, loss, request), message: e.message }));
  const first = errors[0];
  const v1First = f.errors[0];
  const detail =
    first && v1First && f.detail.startsWith(`${v1First.path}: `)
      ? `${first.path}: ${f.detail.slice(v1First.path.length + 2)}`
      : f.detail;
  return { ...f, detail, errors };
}

interface OutputPlan {
  readonly name: string;
  readonly data: FloatArray | number;
  readonly shape: readonly number[];
  readonly binary: boolean;
}

/** The outputs to answer, in the order asked (default: the loss, then each gradient). */
function outputPlan(result: Computed, request: V2Request): OutputPlan[] {
  const asked: ReadonlyArray<Pick<V2Output, 'name' | 'binary'>> = request.outputs ?? [
    { name: LOSS_OUTPUT, binary: undefined },
    ...result.request.wrt.map((a) => ({ name: GRAD_PREFIX + a, binary: undefined })),
  ];
  return asked.map(({ name, binary }) => {
    const arg = name.slice(GRAD_PREFIX.length);
    const isLoss = name === LOSS_OUTPUT;
    return {
      name,
      data: isLoss ? result.loss : (result.grads[arg] as FloatArray),
      shape: isLoss ? result.lossShape : (result.request.args[arg] as FloatTensor).shape,
      binary: binary ?? request.binaryOutput,
    };
  });
}

/**
 * The response: {"model_name", "model_version", "id"?, "outputs": [...]}, the JSON outputs with
 * their data inline and the binary ones with binary_data_size; then, in `parts`, the binary
 * outputs' bytes in the same order: the kernel's own arrays, taken out of the request arena so
 * that they can be transferred to the main thread and written to the socket as they are (no
 * copy of a large gradient into a response buffer).
 */
function encode(model: string, result: Computed, request: V2Request): { body: Uint8Array; parts?: Uint8Array[] } {
  const dtype = result.request.dtype;
  const datatype = dtype === 'float32' ? 'FP32' : 'FP64';
  const size = RAW_SIZE[datatype];
  const outputs = outputPlan(result, request);
  let header = 128 + model.length * 6 + (request.id?.length ?? 0) * 6;
  for (const o of outputs) {
    const n = typeof o.data === 'number' ? 1 : o.data.length;
    header += 96 + o.name.length + 24 * o.shape.length;
    if (!o.binary) header += maxTensorBytes(n, 1, 'flat', size);
  }
  const out = new JsonWriter(header);
  out.ascii(`{"model_name":`);
  out.append(Buffer.from(JSON.stringify(model)));
  out.ascii(`,"model_version":"1"`);
  if (request.id !== undefined) {
    out.ascii(`,"id":`);
    out.append(Buffer.from(JSON.stringify(request.id)));
  }
  out.ascii(`,"outputs":[`);
  outputs.forEach((o, i) => {
    const n = typeof o.data === 'number' ? 1 : o.data.length;
    out.ascii(`${i > 0 ? ',' : ''}{"name":"${o.name}","datatype":"${datatype}","shape":[${o.shape.join(',')}],`);
    if (o.binary) out.ascii(`"parameters":{"binary_data_size":${n * size}}}`);
    else if (typeof o.data === 'number') {
      out.ascii(`"data":[${jsonNumber(dtype === 'float32' ? Math.fround(o.data) : o.data)}]}`);
    } else {
      out.ascii('"data":[');
      out.numbers(o.data, 0, n);
      out.ascii(']}');
    }
  });
  out.ascii(']}');
  if (!outputs.some((o) => o.binary)) return { body: out.bytes() };
  const parts: Uint8Array[] = [];
  for (const o of outputs) {
    if (!o.binary) continue;
    const data = typeof o.data === 'number' ? (dtype === 'float32' ? Float32Array : Float64Array).of(o.data) : o.data;
    keepFromArena(data.buffer);
    parts.push(rawBytes(data));
  }
  return { body: out.bytes(), parts };
}

function infer(
  loss: AnyLossDescriptor,
  model: string,
  bytes: Uint8Array,
  headerLength: string | undefined,
  limits: Limits,
): InferSuccess | Failure {
  const request = readV2Request(loss, bytes, headerLength);
  if ('ok' in request) return request;
  const { dtype } = request;

  // Tensors, in the order the loss declares them (as v1 decodes them).
  const budget: ElementBudget = { remaining: limits.maxElements };
  const args: Record<string, FloatTensor | IntTensor> = {};
  for (const spec of loss.args) {
    const input = request.inputs.get(spec.name);
    if (input === undefined) continue;
    const d = decodeInput(input, spec.kind, dtype, budget);
    if (!d.ok) return d;
    args[spec.name] = d.tensor;
  }

  const wrtRaw = request.outputs?.filter((o) => o.name !== LOSS_OUTPUT).map((o) => o.name.slice(GRAD_PREFIX.length));
  const wrt = checkGradWrt(loss, args, wrtRaw);
  if (!Array.isArray(wrt)) return onV2(wrt, loss, request);

  let gradOut: FloatTensor | null = null;
  const g = request.inputs.get(GRAD_OUTPUT);
  if (g !== undefined) {
    const d = decodeInput(g, 'float', dtype, budget);
    if (!d.ok) return d;
    gradOut = d.tensor as FloatTensor;
  }

  const opts = optionValues(loss, request.options);
  const result = computeChecked(loss, { args, wrt, gradOut, opts, dtype }, limits);
  if (!result.ok) return onV2(result, loss, request);
  const { body, parts } = encode(model, result, request);
  return {
    ok: true,
    body,
    parts,
    loss: loss.name,
    elements: result.elements,
    kernelMs: result.kernelMs,
  };
}

/**
 * Computes one v2 inference request for `loss` (served as the model `model`, the name in the
 * URL). `headerLength` is the Inference-Header-Content-Length request header, as sent. Never
 * throws for anything a client can send.
 */
export function runInfer(
  loss: AnyLossDescriptor,
  model: string,
  bytes: Uint8Array,
  headerLength: string | undefined,
  limits: Limits,
): InferSuccess | Failure {
  try {
    return infer(loss, model, bytes, headerLength, limits);
  } finally {
    releaseRequestBuffers();
  }
}
