// A v1 request body as the same request in the Open Inference Protocol v2 (API.md "Open
// Inference Protocol v2"), written here independently of the server's code: tensors → inputs
// with shape and datatype (INT64 for integer arguments), options and dtype → parameters (a list
// or null as its JSON text), grad_wrt → outputs (loss first), grad_output → an input. In binary
// mode every input whose values can be written as bytes is sent binary and every output asked
// for in binary. Also: the v2 response read back into a v1 body (for the golden judge), and a
// v1 error location mapped onto the v2 request.

import type { AnyLossDescriptor } from '../../src/registry/types.js';

const NONFINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };
const DATATYPE: Record<string, string> = { float64: 'FP64', float32: 'FP32', int64: 'INT64', int32: 'INT32' };
const SIZE: Record<string, number> = { FP64: 8, FP32: 4, INT64: 8, INT32: 4 };
const ENCODINGS = new Set(['nested', 'flat', 'b64']);

interface InputPlan {
  name: string;
  index: number;
  /** How the input was sent, for mapping error locations. */
  sent: 'nested' | 'flat' | 'binary';
  /** The v1 form it came from. */
  form: 'nested' | 'object' | 'b64';
  rank: number;
  shape: unknown;
}

export interface V2Translation {
  /** The JSON header. */
  header: Record<string, unknown>;
  /** Binary inputs' bytes, in input order (empty in JSON mode). */
  binary: Buffer[];
  inputs: Map<string, InputPlan>;
  /** The loss's tensor arguments (and grad_output). */
  tensors: ReadonlySet<string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function nestedShape(v: unknown): number[] {
  const shape: number[] = [];
  for (let cur = v; Array.isArray(cur); cur = cur[0]) {
    shape.push(cur.length);
    if (cur.length === 0) break;
  }
  return shape;
}

/** Nested arrays' values in row-major order when they are exactly of `shape`, else null (ragged). */
function regular(v: unknown, shape: readonly number[]): unknown[] | null {
  const [n, ...inner] = shape;
  if (n === undefined) return Array.isArray(v) ? null : [v];
  if (!Array.isArray(v) || v.length !== n) return null;
  const out: unknown[] = [];
  for (const x of v) {
    const r = regular(x, inner);
    if (r === null) return null;
    out.push(...r);
  }
  return out;
}

/** Values as bytes of `datatype`, or null when some value cannot be (not a number, not integral). */
function toBytes(values: unknown[], datatype: string): Buffer | null {
  const size = SIZE[datatype];
  if (size === undefined) return null;
  const buf = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (typeof v === 'string' && v in NONFINITE) v = NONFINITE[v];
    if (typeof v !== 'number') return null;
    if (datatype === 'FP64') buf.writeDoubleLE(v, i * 8);
    else if (datatype === 'FP32') buf.writeFloatLE(v, i * 4);
    else if (!Number.isInteger(v)) return null;
    else if (datatype === 'INT32') {
      if (v < -(2 ** 31) || v >= 2 ** 31) return null;
      buf.writeInt32LE(v, i * 4);
    } else {
      if (Math.abs(v) >= 2 ** 63) return null;
      buf.writeBigInt64LE(BigInt(v), i * 8);
    }
  }
  return buf;
}

/** b64 bytes as JSON numbers of `dtype` (whole elements only). */
function fromBytes(bytes: Buffer, datatype: string): number[] {
  const size = SIZE[datatype] ?? 8;
  const out: number[] = [];
  for (let at = 0; at + size <= bytes.length; at += size) {
    if (datatype === 'FP32') out.push(bytes.readFloatLE(at));
    else if (datatype === 'INT32') out.push(bytes.readInt32LE(at));
    else if (datatype === 'INT64') out.push(Number(bytes.readBigInt64LE(at)));
    else out.push(bytes.readDoubleLE(at));
  }
  return out.map((x) => (Number.isFinite(x) ? x : (String(x) as unknown as number)));
}

/** Translates `body` (a v1 request for `loss`) into v2; `binary` sends tensors as raw bytes. */
export function toV2(loss: AnyLossDescriptor, body: Record<string, unknown>, binary: boolean): V2Translation {
  const tensorNames = new Set([...loss.args.map((a) => a.name), 'grad_output']);
  const intArg = (name: string) => loss.args.find((a) => a.name === name)?.kind === 'int';
  const inputs: Record<string, unknown>[] = [];
  const plans = new Map<string, InputPlan>();
  const bytes: Buffer[] = [];
  const parameters: Record<string, unknown> = {};
  let outputs: unknown;

  const addInput = (name: string, v: unknown) => {
    const index = inputs.length;
    const fallback = intArg(name) ? 'INT64' : 'FP64';
    let input: Record<string, unknown>;
    let plan: InputPlan;
    let values: unknown[] | null = null;
    if (isObject(v)) {
      const { shape, data, dtype, b64, ...extra } = v;
      const datatype =
        dtype === undefined ? (b64 === undefined ? fallback : undefined) : (DATATYPE[String(dtype)] ?? dtype);
      input = { name, shape, datatype, ...extra };
      const rank = Array.isArray(shape) ? shape.length : 0;
      if (b64 !== undefined && data === undefined) {
        const raw = typeof b64 === 'string' ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
        plan = { name, index, sent: binary ? 'binary' : 'flat', form: 'b64', rank, shape };
        if (binary) {
          input.parameters = { binary_data_size: raw.length };
          bytes.push(raw);
        } else {
          input.data = fromBytes(raw, String(datatype));
        }
        inputs.push(input);
        plans.set(name, plan);
        return;
      }
      input.data = data;
      if (b64 !== undefined) input.b64 = b64;
      plan = { name, index, sent: 'flat', form: 'object', rank, shape };
      if (Array.isArray(data) && data.every((x) => !Array.isArray(x))) values = data;
    } else if (Array.isArray(v)) {
      const shape = nestedShape(v);
      input = { name, shape, datatype: fallback, data: v };
      plan = { name, index, sent: shape.length > 1 ? 'nested' : 'flat', form: 'nested', rank: shape.length, shape };
      values = regular(v, shape);
    } else {
      input = { name, shape: [], datatype: fallback, data: [v] };
      plan = { name, index, sent: 'flat', form: 'nested', rank: 0, shape: [] };
      values = [v];
    }
    if (binary && values !== null) {
      // integer arguments holding non-integers go as FP64 (the server refuses them as v1 does)
      let datatype = String(input.datatype);
      let raw = toBytes(values, datatype);
      if (raw === null && datatype.startsWith('INT')) {
        datatype = 'FP64';
        raw = toBytes(values, datatype);
      }
      const declared = Array.isArray(input.shape) ? (input.shape as number[]).reduce((a, b) => a * b, 1) : -1;
      if (raw !== null && raw.length === declared * (SIZE[datatype] ?? 0) && !('b64' in input)) {
        const { data: _data, ...rest } = input;
        input = { ...rest, datatype, parameters: { binary_data_size: raw.length } };
        plan = { ...plan, sent: 'binary' };
        bytes.push(raw);
      }
    }
    inputs.push(input);
    plans.set(name, plan);
  };

  for (const [key, value] of Object.entries(body)) {
    if (tensorNames.has(key)) continue;
    if (key === 'grad_wrt') {
      outputs = Array.isArray(value)
        ? [{ name: 'loss' }, ...value.map((a) => ({ name: typeof a === 'string' ? `grad_${a}` : a }))]
        : value;
    } else if (key === 'encoding' && typeof value === 'string' && ENCODINGS.has(value)) {
      // how v1 writes tensors; v2 answers in its own envelope
    } else {
      parameters[key] = Array.isArray(value) || value === null || isObject(value) ? JSON.stringify(value) : value;
    }
  }
  // tensors in the loss's declared order, then grad_output (the order v1 decodes them)
  for (const name of [...loss.args.map((a) => a.name), 'grad_output']) if (name in body) addInput(name, body[name]);
  // v1 computes in float64 unless told otherwise; v2 infers float32 from FP32-only inputs
  if (!('dtype' in body) && inputs.some((i) => i.datatype === 'FP32')) parameters.dtype = 'float64';
  if (binary) parameters.binary_data_output = true;
  const header: Record<string, unknown> = { inputs };
  if (Object.keys(parameters).length > 0) header.parameters = parameters;
  if (outputs !== undefined) header.outputs = outputs;
  return { header, binary: bytes, inputs: plans, tensors: tensorNames };
}

/** The request body and headers to POST. */
export function v2Body(t: V2Translation): { body: Buffer; headers: Record<string, string> } {
  const json = Buffer.from(JSON.stringify(t.header));
  if (t.binary.length === 0) return { body: json, headers: { 'content-type': 'application/json' } };
  return {
    body: Buffer.concat([json, ...t.binary]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
  };
}

export interface V2Answer {
  status: number;
  contentType: string;
  headerLength: string | null;
  /** The JSON header (or the problem). */
  json: Record<string, unknown> | undefined;
  /** Bytes after the JSON header. */
  rest: Buffer;
}

export async function postV2(url: string, body: Buffer, headers: Record<string, string>): Promise<V2Answer> {
  const res = await fetch(url, { method: 'POST', body, headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  const headerLength = res.headers.get('inference-header-content-length');
  const cut = headerLength === null ? bytes.length : Number(headerLength);
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(bytes.subarray(0, cut).toString('utf8')) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    headerLength,
    json,
    rest: bytes.subarray(cut),
  };
}

interface V2Output {
  name: string;
  shape: number[];
  datatype: string;
  data?: unknown[];
  parameters?: { binary_data_size?: number };
}

/** Each output's values (JSON data, or its bytes after the header, in order). */
export function outputValues(answer: V2Answer): Map<string, { shape: number[]; datatype: string; data: number[] }> {
  const out = new Map<string, { shape: number[]; datatype: string; data: number[] }>();
  let at = 0;
  for (const o of (answer.json?.outputs ?? []) as V2Output[]) {
    const size = o.parameters?.binary_data_size;
    let data: number[];
    if (size !== undefined) {
      const raw = answer.rest.subarray(at, at + size);
      at += size;
      data = [];
      for (let i = 0; i + (SIZE[o.datatype] ?? 8) <= raw.length; i += SIZE[o.datatype] ?? 8)
        data.push(o.datatype === 'FP32' ? raw.readFloatLE(i) : raw.readDoubleLE(i));
    } else {
      data = (o.data ?? [])
        .flat(Number.POSITIVE_INFINITY)
        .map((x) => (typeof x === 'string' ? (NONFINITE[x] as number) : (x as number)));
    }
    out.set(o.name, { shape: o.shape, datatype: o.datatype, data });
  }
  if (at !== answer.rest.length) throw new Error(`${answer.rest.length - at} response bytes after the binary outputs`);
  return out;
}

/** A v2 answer as the v1 body the golden judge reads ({loss, grad}); tensors as {shape, data}. */
export function asV1Body(answer: V2Answer, reducedLoss: boolean): Record<string, unknown> {
  const outputs = outputValues(answer);
  const body: Record<string, unknown> = {};
  const grad: Record<string, unknown> = {};
  for (const [name, t] of outputs) {
    const data = t.data.map((x) => (Number.isFinite(x) ? x : String(x)));
    if (name === 'loss') body.loss = reducedLoss ? data[0] : { shape: t.shape, data };
    else grad[name.slice('grad_'.length)] = { shape: t.shape, data };
  }
  if (Object.keys(grad).length > 0) body.grad = grad;
  return body;
}

/**
 * Where a v1 error location is in the translated v2 request: a tensor argument's input (an
 * element: into its data as sent; a binary input's elements: the input itself), grad_wrt/i →
 * outputs/i+1 (the loss is output 0), anything else → its parameter.
 */
export function mapPath(path: string, t: V2Translation): string {
  if (path === '') return '';
  const [head = '', ...tokens] = path.slice(1).split('/');
  const plan = t.inputs.get(head);
  // a missing tensor argument: the inputs array lacks it
  if (plan === undefined && t.tensors.has(head)) return '/inputs';
  if (plan !== undefined) {
    const at = `/inputs/${plan.index}`;
    if (tokens.length === 0) return at;
    // v1 names a b64 element as "b64 (element i)"
    const rest = tokens.flatMap((tok) => {
      const m = /^(\w+) \(element (\d+)\)$/.exec(tok);
      return m ? [m[1] as string, m[2] as string] : [tok];
    });
    const [first = '', ...more] = rest;
    if (plan.form !== 'nested' && ['shape', 'data', 'dtype', 'b64'].includes(first)) {
      if (first === 'shape') return `${at}/shape${more.map((m) => `/${m}`).join('')}`;
      if (first === 'dtype') return `${at}/datatype`;
      // a binary input's element is the input itself; its length is its binary_data_size
      if (plan.sent === 'binary') return more.length > 0 ? at : `${at}/parameters/binary_data_size`;
      return `${at}/data${more.map((m) => `/${m}`).join('')}`;
    }
    if (!/^\d+$/.test(first)) return `${at}/${first}`;
    if (plan.sent === 'binary') return at;
    if (plan.sent === 'nested' || rest.length !== plan.rank) return `${at}/data/${rest.join('/')}`;
    const shape = plan.shape as number[];
    let flat = 0;
    for (let d = 0; d < rest.length; d++) flat = flat * (shape[d] as number) + Number(rest[d]);
    return `${at}/data/${flat}`;
  }
  if (head === 'grad_wrt') return tokens.length === 0 ? '/outputs' : `/outputs/${Number(tokens[0]) + 1}`;
  return `/parameters/${head}`;
}

/** The v2 location matches the mapped v1 one: the same, or more precise (inside it). */
export function samePlace(v2: string, mapped: string): boolean {
  return v2 === mapped || v2.startsWith(`${mapped}/`);
}
