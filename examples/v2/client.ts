// lossd over the Open Inference Protocol v2 with binary tensors, from TypeScript (fetch only).
// The JSON header's type comes from openapi/openapi.json (../typescript/schema.d.ts, generated
// by `npm run openapi:client`); the tensors travel as raw little-endian bytes after it, as
// tritonclient and the KServe SDK send them (binary tensor data extension).
//
//   LOSSD_URL=http://127.0.0.1:8080 npx tsx examples/v2/client.ts
//
// Set LOSSD_API_KEY when the server requires a bearer token.

import type { components } from '../typescript/schema.js';

type InferenceRequest = components['schemas']['V2InferenceRequest'];
type InferenceResponse = components['schemas']['V2InferenceResponse'];
type V2Error = components['schemas']['V2Error'];
type Datatype = 'FP64' | 'FP32' | 'INT64' | 'INT32';

const baseUrl = (process.env.LOSSD_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const apiKey = process.env.LOSSD_API_KEY;

/** The protocol's bytes are little-endian: DataView writes them so on any host. */
function toBytes(values: readonly number[], datatype: Datatype): Uint8Array {
  const size = datatype === 'FP32' || datatype === 'INT32' ? 4 : 8;
  const view = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, i) => {
    if (datatype === 'FP64') view.setFloat64(i * 8, v, true);
    else if (datatype === 'FP32') view.setFloat32(i * 4, v, true);
    else if (datatype === 'INT64') view.setBigInt64(i * 8, BigInt(v), true);
    else view.setInt32(i * 4, v, true);
  });
  return new Uint8Array(view.buffer);
}

function fromBytes(bytes: Uint8Array, datatype: string): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = datatype === 'FP32' ? 4 : 8;
  return Array.from({ length: bytes.byteLength / size }, (_, i) =>
    datatype === 'FP32' ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true),
  );
}

type Nested = number | Nested[];

function flatten(v: Nested): number[] {
  return Array.isArray(v) ? v.flatMap(flatten) : [v];
}

function shapeOf(v: Nested): number[] {
  return Array.isArray(v) ? [v.length, ...(v.length > 0 ? shapeOf(v[0] as Nested) : [])] : [];
}

function reshape(values: number[], shape: readonly number[]): Nested {
  if (shape.length === 0) return values[0] as number;
  if (shape.length === 1) return values;
  const [n, ...rest] = shape as [number, ...number[]];
  const step = values.length / n;
  return Array.from({ length: n }, (_, i) => reshape(values.slice(i * step, (i + 1) * step), rest));
}

/** POST /v2/models/{model}/infer with every tensor binary; every output comes back binary. */
async function infer(
  model: string,
  tensors: Record<string, [Nested, Datatype]>,
  outputs?: string[],
): Promise<Map<string, Nested>> {
  const blobs: Uint8Array[] = [];
  const request: InferenceRequest = {
    inputs: Object.entries(tensors).map(([name, [value, datatype]]) => {
      const bytes = toBytes(flatten(value), datatype);
      blobs.push(bytes);
      return { name, shape: shapeOf(value), datatype, parameters: { binary_data_size: bytes.byteLength } };
    }),
    parameters: { binary_data_output: true },
    ...(outputs ? { outputs: outputs.map((name) => ({ name, parameters: { binary_data: true } })) } : {}),
  };
  const header = new TextEncoder().encode(JSON.stringify(request));
  const res = await fetch(`${baseUrl}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.byteLength),
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    },
    body: Buffer.concat([header, ...blobs]),
  });
  const body = new Uint8Array(await res.arrayBuffer());
  const length = res.headers.get('inference-header-content-length');
  const cut = length === null ? body.byteLength : Number(length);
  const json = JSON.parse(new TextDecoder().decode(body.subarray(0, cut)));
  if (!res.ok) {
    const problem = json as V2Error;
    const where = problem.errors.map((e) => `${e.path}: ${e.message}`).join(', ');
    throw new Error(`${model}: ${res.status} ${problem.error} [${where}]`);
  }
  const answer = json as InferenceResponse;
  const result = new Map<string, Nested>();
  let at = cut;
  for (const out of answer.outputs) {
    const size = out.parameters?.binary_data_size;
    let values: number[];
    if (size === undefined) values = [out.data ?? []].flat(Number.POSITIVE_INFINITY) as number[];
    else {
      values = fromBytes(body.subarray(at, at + size), out.datatype);
      at += size;
    }
    result.set(out.name, reshape(values, out.shape));
  }
  return result;
}

function show(name: string, result: Map<string, Nested>): void {
  for (const [output, value] of result) {
    const label = output === 'loss' ? 'loss' : `grad[${output.slice('grad_'.length)}]`;
    console.log(`${name}: ${label} = ${JSON.stringify(value)}`);
  }
}

// F.cross_entropy(input, target): 2 samples, 3 classes, class indices as INT64
show(
  'cross_entropy',
  await infer('cross_entropy', {
    input: [
      [
        [2.0, 0.5, -1.0],
        [0.1, 0.2, 0.3],
      ],
      'FP64',
    ],
    target: [[0, 2], 'INT64'],
  }),
);

// F.mse_loss(input, target), gradients with respect to both arguments
show(
  'mse_loss',
  await infer('mse_loss', { input: [[1, 2, 3], 'FP64'], target: [[1, 2, 5], 'FP64'] }, [
    'loss',
    'grad_input',
    'grad_target',
  ]),
);
