// The request bodies of the HTTP benchmarks, as bytes: deterministic values with 17 significant
// digits (what a client serializing float64 sends).

import { rng } from '../losses/cases.js';

function logits(n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => (r() - 0.5) * 6);
}

function rows(values: number[], cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += cols) out.push(values.slice(i, i + cols));
  return out;
}

function classes(n: number, C: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * C));
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

export interface BenchBody {
  readonly name: string;
  readonly path: string;
  readonly body: Buffer;
  /** Bytes of the request's tensors as float64 (float) and int32 (class indices). */
  readonly tensorBytes: number;
  /** Request headers besides content-type: application/json (which they may replace). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** cross_entropy N×C, nested JSON in and out. */
export function crossEntropyNested(N: number, C: number): BenchBody {
  return {
    name: `cross_entropy ${N}×${C} nested`,
    path: '/v1/losses/cross_entropy',
    body: json({ input: rows(logits(N * C, 11), C), target: classes(N, C, 12) }),
    tensorBytes: N * C * 8 + N * 4,
  };
}

/** cross_entropy N×C with the input in b64, the response in b64. */
export function crossEntropyB64(N: number, C: number): BenchBody {
  const x = Float64Array.from(logits(N * C, 11));
  return {
    name: `cross_entropy ${N}×${C} b64`,
    path: '/v1/losses/cross_entropy',
    body: json({
      input: { shape: [N, C], dtype: 'float64', b64: Buffer.from(x.buffer).toString('base64') },
      target: classes(N, C, 12),
      encoding: 'b64',
    }),
    tensorBytes: N * C * 8 + N * 4,
  };
}

/** mse_loss on two n-vectors, nested JSON. */
export function mseNested(n: number): BenchBody {
  return {
    name: `mse_loss ${n} nested`,
    path: '/v1/losses/mse_loss',
    body: json({ input: logits(n, 21), target: logits(n, 22) }),
    tensorBytes: 2 * n * 8,
  };
}

/**
 * cross_entropy N×C through the Open Inference Protocol v2 with binary tensors both ways: the
 * input as FP64 bytes and the target as INT64 bytes after the JSON header, every output binary
 * (what tritonclient sends with binary_data=True).
 */
export function crossEntropyV2Binary(N: number, C: number): BenchBody {
  const x = Float64Array.from(logits(N * C, 11));
  const t = BigInt64Array.from(classes(N, C, 12).map(BigInt));
  const header = json({
    inputs: [
      { name: 'input', shape: [N, C], datatype: 'FP64', parameters: { binary_data_size: x.byteLength } },
      { name: 'target', shape: [N], datatype: 'INT64', parameters: { binary_data_size: t.byteLength } },
    ],
    parameters: { binary_data_output: true },
  });
  return {
    name: `cross_entropy ${N}×${C} v2 binary`,
    path: '/v2/models/cross_entropy/infer',
    body: Buffer.concat([header, Buffer.from(x.buffer), Buffer.from(t.buffer)]),
    tensorBytes: N * C * 8 + N * 4,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
  };
}
