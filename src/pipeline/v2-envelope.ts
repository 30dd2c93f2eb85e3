// An Open Inference Protocol v2 request body, from its bytes to a checked description of its
// inputs, options and outputs (API.md "Open Inference Protocol v2"): the JSON header (whose
// length is the Inference-Header-Content-Length header when binary tensors follow it), the
// binary framing, the inputs' names, shapes and datatypes, the request parameters (the loss's
// options, dtype, and the protocol's own), and the requested outputs. No tensor is decoded
// here: ./run-v2.ts decodes them with the same decoders as v1.

import { z } from 'zod';
import type { FloatDType } from '../codec/decode.js';
import { RAW_SIZE, type RawDatatype } from '../codec/raw.js';
import { MAX_RANK } from '../contract/limits.js';
import { dtypeSchema } from '../contract/schemas.js';
import { type ErrorCode, type Failure, failure, pointerToken } from '../errors.js';
import type { AnyLossDescriptor } from '../registry/types.js';
import { malformed, parseText } from './parse-body.js';
import { envelopeFailure } from './run-loss.js';

/** The name of the upstream gradient among a request's inputs. */
export const GRAD_OUTPUT = 'grad_output';
/** The name of the loss among a response's outputs; a gradient is `grad_<argument>`. */
export const LOSS_OUTPUT = 'loss';
export const GRAD_PREFIX = 'grad_';

/** Request parameters the protocol defines: binary_data_output is honoured, the rest ignored. */
/** The members an input's parameters may hold. */
const INPUT_PARAMETERS = new Set(['binary_data_size', 'content_type']);

const PROTOCOL_PARAMETERS = new Set([
  'binary_data_output',
  'priority',
  'timeout',
  'sequence_id',
  'sequence_start',
  'sequence_end',
]);
const REQUEST_KEYS = new Set(['id', 'parameters', 'inputs', 'outputs', 'model_name', 'model_version']);
const INPUT_KEYS = new Set(['name', 'shape', 'datatype', 'parameters', 'data']);
const OUTPUT_KEYS = new Set(['name', 'parameters']);

export interface V2Input {
  /** Where it is in `inputs` (for error paths). */
  readonly index: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: RawDatatype;
  /** JSON data as sent (flat or nested), or undefined for a binary input. */
  readonly data: unknown[] | undefined;
  /** A binary input's bytes (a view of the body). */
  readonly raw: Uint8Array | undefined;
}

export interface V2Output {
  readonly index: number;
  readonly name: string;
  /** The output's own binary_data parameter, when given. */
  readonly binary: boolean | undefined;
}

export interface V2Request {
  readonly id: string | undefined;
  readonly inputs: ReadonlyMap<string, V2Input>;
  /** Undefined when the request names none (all of the default outputs). */
  readonly outputs: readonly V2Output[] | undefined;
  /** The loss's options, validated and with defaults (as the v1 envelope gives them). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly dtype: FloatDType;
  /** The request's binary_data_output parameter. */
  readonly binaryOutput: boolean;
}

class Refusal {
  constructor(
    readonly path: string,
    readonly message: string,
    readonly code: ErrorCode = 'LOSSD_INVALID_REQUEST',
  ) {}
}

function refuse(path: string, message: string, code?: ErrorCode): never {
  throw new Refusal(path, message, code);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkKeys(v: Record<string, unknown>, allowed: ReadonlySet<string>, path: string, what: string): void {
  for (const key of Object.keys(v)) {
    if (!allowed.has(key)) refuse(`${path}/${pointerToken(key)}`, `unknown ${what} member "${key}"`);
  }
}

/** The Inference-Header-Content-Length value: the JSON header's length in bytes. */
function headerLength(raw: string | undefined, bodyLength: number): number {
  if (raw === undefined) return bodyLength;
  if (!/^[0-9]+$/.test(raw.trim())) {
    refuse('', `Inference-Header-Content-Length must be a non-negative integer, got "${raw.slice(0, 40)}"`);
  }
  const n = Number(raw.trim());
  if (n > bodyLength) {
    refuse('', `Inference-Header-Content-Length is ${n}, past the end of the ${bodyLength}-byte body`);
  }
  return n;
}

function readShape(v: unknown, path: string): number[] {
  if (!Array.isArray(v)) refuse(path, 'shape must be an array of non-negative integers', 'LOSSD_INVALID_TENSOR');
  if (v.length > MAX_RANK)
    refuse(path, `rank ${v.length} is above the maximum rank ${MAX_RANK}`, 'LOSSD_INVALID_TENSOR');
  let n = 1;
  for (let i = 0; i < v.length; i++) {
    const d = v[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      refuse(
        `${path}/${i}`,
        `dimension must be a non-negative integer, got ${JSON.stringify(d)}`,
        'LOSSD_INVALID_TENSOR',
      );
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) refuse(path, 'shape has too many elements', 'LOSSD_TOO_MANY_ELEMENTS');
  return v as number[];
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface Framed {
  readonly spec: Omit<V2Input, 'raw'>;
  /** binary_data_size, when the input's bytes follow the header. */
  readonly size: number | undefined;
}

function readInput(v: unknown, index: number, loss: AnyLossDescriptor, seen: Set<string>): Framed {
  const path = `/inputs/${index}`;
  if (!isPlainObject(v)) refuse(path, 'an input must be an object with name, shape, datatype and data');
  checkKeys(v, INPUT_KEYS, path, 'input');
  const name = v.name;
  if (typeof name !== 'string') refuse(`${path}/name`, 'name must be a string');
  if (name !== GRAD_OUTPUT && !loss.args.some((a) => a.name === name)) {
    const known = [...loss.args.map((a) => a.name), GRAD_OUTPUT].join(', ');
    refuse(`${path}/name`, `unknown input "${name}" for ${loss.name} (inputs: ${known})`);
  }
  if (seen.has(name)) refuse(`${path}/name`, `input "${name}" is given twice`);
  seen.add(name);
  const shape = readShape(v.shape, `${path}/shape`);
  const datatype = v.datatype;
  if (typeof datatype !== 'string' || !(datatype in RAW_SIZE)) {
    refuse(
      `${path}/datatype`,
      `datatype must be one of ${Object.keys(RAW_SIZE).join(', ')}, got ${JSON.stringify(datatype)}`,
      'LOSSD_INVALID_TENSOR',
    );
  }
  let size: number | undefined;
  if (v.parameters !== undefined) {
    const p = v.parameters;
    if (!isPlainObject(p)) refuse(`${path}/parameters`, 'parameters must be an object');
    // content_type: the codec hint KServe's and MLServer's clients put on a tensor ("np",
    // "str", ...); the datatype already says how lossd reads it, so it is accepted and ignored
    checkKeys(p, INPUT_PARAMETERS, `${path}/parameters`, 'input parameter');
    if (p.content_type !== undefined && typeof p.content_type !== 'string') {
      refuse(`${path}/parameters/content_type`, 'content_type must be a string');
    }
    if (p.binary_data_size !== undefined) {
      const s = p.binary_data_size;
      if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) {
        refuse(`${path}/parameters/binary_data_size`, 'binary_data_size must be a non-negative integer');
      }
      size = s;
    }
  }
  const dt = datatype as RawDatatype;
  if (size !== undefined) {
    if (v.data !== undefined) refuse(`${path}/data`, 'an input with binary_data_size has its data after the header');
    const want = numel(shape) * RAW_SIZE[dt];
    if (size !== want) {
      refuse(
        `${path}/parameters/binary_data_size`,
        `binary_data_size is ${size} bytes where shape [${shape.join(', ')}] of ${dt} needs ${want}`,
        'LOSSD_INVALID_TENSOR',
      );
    }
    return { spec: { index, name, shape, datatype: dt, data: undefined }, size };
  }
  if (!Array.isArray(v.data)) {
    refuse(`${path}/data`, 'data must be an array (flat, or nested as the shape), or binary_data_size given');
  }
  return { spec: { index, name, shape, datatype: dt, data: v.data }, size: undefined };
}

function readOutputs(v: unknown, loss: AnyLossDescriptor): V2Output[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) refuse('/outputs', 'outputs must be an array');
  // no outputs named: every default output, as when the member is absent
  if (v.length === 0) return undefined;
  const names = new Set<string>();
  return v.map((o, index): V2Output => {
    const path = `/outputs/${index}`;
    if (!isPlainObject(o)) refuse(path, 'an output must be an object with a name');
    checkKeys(o, OUTPUT_KEYS, path, 'output');
    if (typeof o.name !== 'string') refuse(`${path}/name`, 'name must be a string');
    const name = o.name;
    if (name !== LOSS_OUTPUT && !name.startsWith(GRAD_PREFIX)) {
      const known = [LOSS_OUTPUT, ...loss.args.filter((a) => a.differentiable).map((a) => GRAD_PREFIX + a.name)];
      refuse(`${path}/name`, `unknown output "${name}" for ${loss.name} (outputs: ${known.join(', ')})`);
    }
    if (name === LOSS_OUTPUT && names.has(name)) refuse(`${path}/name`, `output "${name}" is listed twice`);
    names.add(name);
    let binary: boolean | undefined;
    if (o.parameters !== undefined) {
      const p = o.parameters;
      if (!isPlainObject(p)) refuse(`${path}/parameters`, 'parameters must be an object');
      checkKeys(p, new Set(['binary_data']), `${path}/parameters`, 'output parameter');
      if (p.binary_data !== undefined && typeof p.binary_data !== 'boolean') {
        refuse(`${path}/parameters/binary_data`, 'binary_data must be true or false');
      }
      binary = p.binary_data as boolean | undefined;
    }
    return { index, name, binary };
  });
}

const parameterSchemas = new WeakMap<AnyLossDescriptor, z.ZodObject>();

/** The loss's options and dtype, as a strict object (an unknown parameter is a 400). */
function parameterSchema(loss: AnyLossDescriptor): z.ZodObject {
  let s = parameterSchemas.get(loss);
  if (s === undefined) {
    s = z.strictObject({ ...loss.options.shape, dtype: dtypeSchema });
    parameterSchemas.set(loss, s);
  }
  return s;
}

/**
 * The request parameters: the protocol's own set aside, the loss's options validated by the
 * very schemas of the v1 envelope. An option whose v1 value is a list or null travels as its
 * JSON text in a string (parameter values are strings, numbers or booleans).
 */
function readParameters(
  v: unknown,
  loss: AnyLossDescriptor,
): { options: Record<string, unknown>; dtypeGiven: boolean; binaryOutput: boolean } | Failure {
  if (v !== undefined && !isPlainObject(v)) refuse('/parameters', 'parameters must be an object');
  const given = (v ?? {}) as Record<string, unknown>;
  const params: Record<string, unknown> = {};
  let binaryOutput = false;
  for (const [key, value] of Object.entries(given)) {
    if (key === 'binary_data_output') {
      if (typeof value !== 'boolean')
        refuse('/parameters/binary_data_output', 'binary_data_output must be true or false');
      binaryOutput = value;
      continue;
    }
    if (PROTOCOL_PARAMETERS.has(key)) continue;
    // own keys only: "constructor" or "toString" is no option, and "__proto__" is a key like
    // any other (an unknown parameter), never the prototype of the options
    const option = Object.hasOwn(loss.options.shape, key) ? (loss.options.shape[key] as z.ZodType) : undefined;
    let kept = value;
    if (typeof value === 'string' && option !== undefined && !option.safeParse(value).success) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      kept = Array.isArray(parsed) || parsed === null ? parsed : value;
    }
    Object.defineProperty(params, key, { value: kept, enumerable: true, writable: true, configurable: true });
  }
  const result = parameterSchema(loss).safeParse(params);
  if (!result.success) {
    const f = envelopeFailure(result.error, params, loss);
    // a parameter is one value: a place inside a list option's JSON text is the parameter itself
    const errors = f.errors.map((e) => ({
      path: `/parameters/${e.path.split('/')[1] ?? ''}`,
      message: e.message.replace(/^unknown key/, 'unknown parameter'),
    }));
    const first = errors[0];
    return failure(f.code, first ? `${first.path}: ${first.message}` : f.detail, errors);
  }
  return { options: result.data, dtypeGiven: Object.hasOwn(params, 'dtype'), binaryOutput };
}

/**
 * The compute dtype: parameters.dtype when given; else float32 when some input is floating
 * point and every floating-point input is FP32; else float64 (API.md).
 */
function computeDtype(inputs: Iterable<V2Input>): FloatDType {
  let floats = 0;
  let fp32 = 0;
  for (const i of inputs) {
    if (i.datatype === 'FP32' || i.datatype === 'FP64') floats++;
    if (i.datatype === 'FP32') fp32++;
  }
  return floats > 0 && fp32 === floats ? 'float32' : 'float64';
}

function readRequest(loss: AnyLossDescriptor, bytes: Uint8Array, headerRaw: string | undefined): V2Request | Failure {
  const hlen = headerLength(headerRaw, bytes.length);
  const parsed = parseText(hlen === bytes.length ? bytes : bytes.subarray(0, hlen));
  if (!parsed.ok) return 'refused' in parsed ? parsed.refused : malformed(parsed.message);
  const body = parsed.value;
  if (!isPlainObject(body)) refuse('', 'the body must be a JSON object (an inference request)');
  checkKeys(body, REQUEST_KEYS, '', 'request');
  if (body.id !== undefined && typeof body.id !== 'string') refuse('/id', 'id must be a string');
  for (const key of ['model_name', 'model_version'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') refuse(`/${key}`, `${key} must be a string`);
  }
  if (!Array.isArray(body.inputs)) refuse('/inputs', 'inputs must be an array of input tensors');

  const seen = new Set<string>();
  const framed = body.inputs.map((v, i) => readInput(v, i, loss, seen));

  // Binary framing: each binary input's bytes follow the header, in the order of the inputs.
  // The header is parsed, so its bytes are free: the binary part moves down over them to an
  // 8-byte boundary of the body's buffer (one in-place move, no new memory), so that tensors
  // can be read as views of it rather than copied (./run-v2.ts).
  let at = hlen;
  let end = bytes.length;
  const shift = (bytes.byteOffset + hlen) % 8;
  if (framed.some((f) => f.size !== undefined) && shift !== 0 && shift <= hlen && hlen < end) {
    bytes.copyWithin(hlen - shift, hlen, end);
    at -= shift;
    end -= shift;
  }
  const start = at;
  const inputs = new Map<string, V2Input>();
  let lastBinary = -1;
  for (const { spec, size } of framed) {
    let raw: Uint8Array | undefined;
    if (size !== undefined) {
      if (at + size > end) {
        refuse(
          `/inputs/${spec.index}/parameters/binary_data_size`,
          `binary_data_size ${size} runs past the end of the body: ${end - at} bytes are left after the header and the inputs before it`,
        );
      }
      raw = bytes.subarray(at, at + size);
      at += size;
      lastBinary = spec.index;
    }
    inputs.set(spec.name, { ...spec, raw });
  }
  if (at !== end) {
    const left = end - at;
    refuse(
      lastBinary < 0 ? '' : `/inputs/${lastBinary}/parameters/binary_data_size`,
      lastBinary < 0
        ? `${left} bytes follow the JSON header, but no input has binary_data_size`
        : `${left} bytes are left over after the binary inputs (binary_data_size adds up to ${at - start}, ${end - start} bytes follow the header)`,
    );
  }

  const params = readParameters(body.parameters, loss);
  if ('ok' in params) return params;
  const outputs = readOutputs(body.outputs, loss);

  for (const spec of loss.args) {
    if (spec.required && !inputs.has(spec.name)) refuse('/inputs', `missing required input "${spec.name}"`);
  }

  return {
    id: body.id as string | undefined,
    inputs,
    outputs,
    options: params.options,
    dtype: params.dtypeGiven ? (params.options.dtype as FloatDType) : computeDtype(inputs.values()),
    binaryOutput: params.binaryOutput,
  };
}

/**
 * Reads and checks a v2 request body; a failure names the JSON Pointer in the v2 request. The
 * body is the caller's to give away: its binary part may be moved within it (to align it).
 */
export function readV2Request(
  loss: AnyLossDescriptor,
  bytes: Uint8Array,
  headerLengthRaw: string | undefined,
): V2Request | Failure {
  try {
    return readRequest(loss, bytes, headerLengthRaw);
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    return failure(e.code, e.path === '' ? e.message : `${e.path}: ${e.message}`, [
      { path: e.path, message: e.message },
    ]);
  }
}
