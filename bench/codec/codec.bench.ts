// Codec: decoding 1e6-element tensors written nested, flat and b64 into typed arrays, and
// encoding a 1e6-element gradient in the three encodings, to the bytes the response carries.
//
// Baselines, same numbers, same run: JSON.parse of the text (decode, nested and flat),
// Buffer#write(s, 'base64') into a reused buffer (b64 decode, from the parsed string and from
// the body's bytes, which large requests use), JSON.stringify of the same
// numbers as a JS array (nested and flat encode) and a plain base64 loop into a reused buffer
// (b64 encode; Buffer#toString('base64') is reported beside it).

import * as jsBase64 from '../../src/codec/base64.js';
import { Cuts, cutBody } from '../../src/codec/body.js';
import { decodeFloat, type FloatDType } from '../../src/codec/decode.js';
import { type Encoding, JsonWriter, maxTensorBytes, writeTensor } from '../../src/codec/encode.js';
import * as wasmBase64 from '../../src/codec/wasm/base64.js';
import { writeNumbers } from '../../src/codec/wasm/double.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import { releaseBuffers } from '../../src/pipeline/run-loss.js';
import type { Row, Target } from '../lib/report.js';
import { paired, type Timing } from '../lib/stats.js';
import { rng } from '../losses/cases.js';
import { writeDouble } from './js-double.js';

export interface CodecOptions {
  /** Elements per tensor (1e6 in a full run); rows of 1000. */
  readonly n: number;
  readonly timing: Timing;
}

/** Gradient-like values: 17 significant digits, both signs, a few magnitudes. */
export function sampleValues(n: number, seed = 7): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() - 0.5) * 10 ** Math.floor(r() * 6 - 4);
  return out;
}

function nestedArray(data: ArrayLike<number>, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) out.push(Array.from({ length: cols }, (_, j) => data[i * cols + j] as number));
  return out;
}

const B64 = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** The plain base64 loop: three bytes in, four table bytes out, into a reused buffer. */
function plainBase64(src: Uint8Array, dst: Uint8Array): number {
  const n = src.length - (src.length % 3);
  let j = 0;
  for (let i = 0; i < n; i += 3) {
    const v = ((src[i] as number) << 16) | ((src[i + 1] as number) << 8) | (src[i + 2] as number);
    dst[j] = B64[v >>> 18] as number;
    dst[j + 1] = B64[(v >>> 12) & 63] as number;
    dst[j + 2] = B64[(v >>> 6) & 63] as number;
    dst[j + 3] = B64[v & 63] as number;
    j += 4;
  }
  return j;
}

/** A tensor encoded to the bytes of its JSON fragment, as the pipeline writes the response. */
function encodeBytes(data: FloatArray, shape: readonly number[], encoding: Encoding): Uint8Array {
  const out = new JsonWriter(maxTensorBytes(data.length, shape.length, encoding, data.BYTES_PER_ELEMENT));
  writeTensor(out, data, shape, encoding);
  return out.bytes();
}

export function runCodec(opts: CodecOptions, log: (s: string) => void): Row[] {
  const rows: Row[] = [];
  const { n, timing } = opts;
  const cols = 1000;
  const rowsN = n / cols;
  const shape = [rowsN, cols];
  const values = sampleValues(n);
  const flatNumbers = Array.from(values);
  const nested = nestedArray(values, rowsN, cols);
  const nestedText = JSON.stringify(nested);
  const flatText = JSON.stringify({ shape, data: flatNumbers });
  const flatParsed = JSON.parse(flatText) as { shape: number[]; data: number[] };
  const nestedParsed = JSON.parse(nestedText) as number[][];
  const bytes = new Uint8Array(values.buffer);
  const b64 = Buffer.from(bytes).toString('base64');
  const b64Parsed = { shape, dtype: 'float64', b64 };
  const reused = Buffer.alloc(bytes.length);
  const reusedText = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  const label = `n=1e${Math.round(Math.log10(n))}`;
  const full = n >= 1e6;

  const record = (name: string, baseline: string, subject: () => unknown, base: () => unknown, target?: Target) => {
    const p = paired(subject, base, timing);
    const row: Row = {
      suite: 'codec',
      case: `${name} ${label}`,
      value: (p.subject.median * 1e6) / n,
      unit: 'ns/el',
      baseline,
      baselineValue: (p.baseline.median * 1e6) / n,
      ratio: p.ratio.median,
      spread: p.ratio.spread,
      repeats: p.ratio.n,
      ...(target && full ? { target } : {}),
    };
    rows.push(row);
    log(`  ${row.case.padEnd(40)} ${row.value.toFixed(2).padStart(8)} ns/el  ${row.ratio.toFixed(3)}× ${baseline}`);
  };

  const decode = (v: unknown, dtype: FloatDType, cuts?: Cuts) => () => {
    const d = decodeFloat(v, '/input', dtype, { remaining: Number.MAX_SAFE_INTEGER }, cuts);
    if (!d.ok) throw new Error(d.detail);
    releaseBuffers();
    return d.tensor;
  };
  const parseNested = () => JSON.parse(nestedText);
  record('decode nested f64', 'JSON.parse', decode(nestedParsed, 'float64'), parseNested, {
    on: 'ratio',
    op: '<=',
    limit: 0.3,
  });
  record('decode nested f32', 'JSON.parse', decode(nestedParsed, 'float32'), parseNested);
  record('decode flat f64', 'JSON.parse', decode(flatParsed, 'float64'), () => JSON.parse(flatText));
  record('decode b64 f64', 'buf.write base64', decode(b64Parsed, 'float64'), () => reused.write(b64, 'base64'), {
    on: 'ratio',
    op: '<=',
    limit: 1.5,
  });
  record('decode b64 f64→f32', 'buf.write base64', decode(b64Parsed, 'float32'), () => reused.write(b64, 'base64'));
  // A large body's b64 values are decoded straight from its bytes (src/codec/body.ts), with no
  // string of the text: against buf.write given the string, and against making that string
  // from the bytes first (latin1) and then buf.write, which is what the bytes path replaces.
  const b64Bytes = Buffer.from(b64, 'latin1');
  const mark = 'mark';
  const fromBytes = decode(
    { shape, dtype: 'float64', b64: mark },
    'float64',
    new Cuts(new Map([[mark, b64Bytes]]), new Map()),
  );
  record('decode b64 f64 from body bytes', 'buf.write base64', fromBytes, () => reused.write(b64, 'base64'), {
    on: 'ratio',
    op: '<=',
    limit: 1.5,
  });
  record('decode b64 f64 from body bytes', 'latin1 string + buf.write', fromBytes, () =>
    reused.write(b64Bytes.toString('latin1'), 'base64'),
  );

  // A large loss request's numeric arrays are read from the body's bytes in WebAssembly
  // (src/codec/wasm/arrays.ts) straight into the tensor, against what it replaces: the body's
  // bytes to a string, JSON.parse, and the decoder's walk of the arrays it made.
  const nestedBody = new Uint8Array(Buffer.from(`{"input":${nestedText}}`));
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const fromBody = () => {
    const cut = cutBody(nestedBody, { maxValues: Number.MAX_SAFE_INTEGER });
    const input = (JSON.parse(Buffer.from(cut?.text ?? []).toString()) as { input: unknown }).input;
    return decode(input, 'float64', cut?.cuts)();
  };
  const viaJson = () => decode((JSON.parse(utf8.decode(nestedBody)) as { input: unknown }).input, 'float64')();
  record('decode nested f64 from body bytes', 'UTF-8 + JSON.parse + decode', fromBody, viaJson);
  record('decode nested f64 from body bytes', 'JSON.parse', fromBody, parseNested);

  // WebAssembly SIMD against the JS loops, bytes to bytes (src/codec/wasm/base64.ts): the
  // request path uses whichever wins on the Node.js lines lossd runs on (BENCHMARKS.md)
  const decoded = new Uint8Array(bytes.length);
  const wasmDecode = () => {
    if (!wasmBase64.decodeBase64(b64Bytes, decoded)) throw new Error('wasm base64 refused its input');
    return decoded;
  };
  record('base64 bytes→bytes, wasm SIMD', 'the JS loop', wasmDecode, () => jsBase64.decodeBase64(b64Bytes, decoded));
  record(
    'base64 encode bytes→bytes, wasm SIMD',
    'the JS loop',
    () => wasmBase64.encodeBase64(bytes, reusedText, 0),
    () => jsBase64.encodeBase64(bytes, reusedText, 0),
  );

  // Ryu in WebAssembly (the request path's printer) against the JS printer it replaced, and
  // against V8's own (JSON.stringify of the same numbers, a JS array)
  const text = Buffer.alloc(28 * n);
  const textView = new DataView(text.buffer, text.byteOffset, text.byteLength);
  const jsPrinter = (data: FloatArray) => () => {
    let pos = 0;
    for (let i = 0; i < data.length; i++) {
      if (i > 0) text[pos++] = 44;
      pos = writeDouble(text, textView, pos, data[i] as number);
    }
    return pos;
  };
  const f32Values = Float32Array.from(values);
  record('numbers f64, wasm Ryu', 'the JS printer', () => writeNumbers(values, 0, n, text, 0), jsPrinter(values));
  record('numbers f32, wasm Ryu', 'the JS printer', () => writeNumbers(f32Values, 0, n, text, 0), jsPrinter(f32Values));
  record(
    'numbers f64, wasm Ryu',
    'JSON.stringify',
    () => writeNumbers(values, 0, n, text, 0),
    () => JSON.stringify(flatNumbers),
  );

  const f32 = f32Values;
  const f32Numbers = Array.from(f32);
  const f32Nested = nestedArray(f32, rowsN, cols);
  const stringifyNested = () => JSON.stringify(nested);
  const encode = (data: FloatArray, e: Encoding) => () => {
    const out = encodeBytes(data, shape, e);
    releaseBuffers();
    return out;
  };
  record('encode nested f64', 'JSON.stringify', encode(values, 'nested'), stringifyNested, {
    on: 'ratio',
    op: '<=',
    limit: 1.1,
  });
  record('encode nested f32', 'JSON.stringify', encode(f32, 'nested'), () => JSON.stringify(f32Nested));
  record('encode flat f64', 'JSON.stringify', encode(values, 'flat'), () => JSON.stringify(flatNumbers));
  record('encode flat f32', 'JSON.stringify', encode(f32, 'flat'), () => JSON.stringify(f32Numbers));
  record('encode b64 f64', 'plain b64 loop', encode(values, 'b64'), () => plainBase64(bytes, reusedText), {
    on: 'ratio',
    op: '<=',
    limit: 1.5,
  });
  record('encode b64 f64', 'Buffer base64', encode(values, 'b64'), () => Buffer.from(bytes.buffer).toString('base64'));
  return rows;
}
