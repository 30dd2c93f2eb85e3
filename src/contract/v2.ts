// The Open Inference Protocol v2 (KServe's "V2 protocol", Triton's HTTP/REST API) as lossd
// speaks it (API.md "Open Inference Protocol v2"): the shapes of its JSON bodies, for the
// OpenAPI document, and each loss's model metadata, derived from its descriptor. The request
// body is read by the worker (src/pipeline/v2-envelope.ts), not by these schemas.

import { z } from 'zod';
import type { AnyLossDescriptor } from '../registry/types.js';
import { problemSchema, schemaRegistry } from './schemas.js';

/** Extensions lossd supports, as the server metadata lists them. */
export const V2_EXTENSIONS = ['binary_tensor_data'] as const;

/** The one version each model has (metadata `versions`, the optional /versions/{v} paths). */
export const MODEL_VERSION = '1';

/** Reported as the platform of every model. */
export const PLATFORM = 'lossd';

const parameters = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .describe('Name/value pairs; values are strings, numbers or booleans.');

export const v2ServerMetadataSchema = z.object({
  name: z.string(),
  version: z.string(),
  extensions: z.array(z.string()),
});
schemaRegistry.add(v2ServerMetadataSchema, { id: 'V2ServerMetadata' });

const metadataTensor = z.object({
  name: z.string(),
  datatype: z.string().describe('FP64, FP32, INT64 or INT32.'),
  shape: z.array(z.int().min(-1)).describe('Dimensions; -1 for one that varies from request to request.'),
});

export const v2ModelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()),
  platform: z.string(),
  inputs: z.array(metadataTensor),
  outputs: z.array(metadataTensor),
});
schemaRegistry.add(v2ModelMetadataSchema, { id: 'V2ModelMetadata' });

export const v2ModelReadySchema = z.object({ name: z.string(), ready: z.boolean() });
export const v2LiveSchema = z.object({ live: z.boolean() });
export const v2ReadySchema = z.object({ ready: z.boolean() });

const tensorData = z
  .array(z.unknown())
  .describe(
    'Row-major values, flat or nested as the shape; non-finite values as "NaN", "Infinity", "-Infinity". Absent when binary_data_size is given.',
  );

export const v2InferenceRequestSchema = z
  .object({
    id: z.string().optional().describe('Echoed in the response.'),
    parameters: parameters
      .optional()
      .describe(
        'The loss’s options and dtype under their v1 names (a list or null option as its JSON text in a string); binary_data_output (bool) asks for every output in binary; priority, timeout, sequence_id, sequence_start and sequence_end are accepted and ignored. Any other name is a 400.',
      ),
    inputs: z
      .array(
        z.object({
          name: z.string().describe('A tensor argument of the loss (input, target, ...), or grad_output.'),
          shape: z.array(z.int().min(0)),
          datatype: z.enum(['FP64', 'FP32', 'INT64', 'INT32']),
          parameters: z
            .object({ binary_data_size: z.int().min(0).optional(), content_type: z.string().optional() })
            .optional()
            .describe(
              'binary_data_size: the input’s bytes follow the JSON header (binary tensor data extension). content_type: a client codec hint (KServe, MLServer), accepted and ignored.',
            ),
          data: tensorData.optional(),
        }),
      )
      .describe('One per tensor argument; grad_output is the upstream gradient (default: ones).'),
    outputs: z
      .array(
        z.object({
          name: z.string().describe('loss, or grad_<argument> for each gradient wanted.'),
          parameters: z
            .object({ binary_data: z.boolean().optional() })
            .optional()
            .describe('binary_data: return this output as raw bytes after the JSON header.'),
        }),
      )
      .optional()
      .describe('What to return; default: loss and the gradients of the prediction arguments.'),
  })
  .describe(
    'An inference request. With binary inputs, the body is this JSON (Inference-Header-Content-Length bytes) followed by each binary input’s little-endian bytes, in input order.',
  );
schemaRegistry.add(v2InferenceRequestSchema, { id: 'V2InferenceRequest' });

export const v2InferenceResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.string().optional(),
    id: z.string().optional(),
    outputs: z.array(
      z.object({
        name: z.string(),
        datatype: z.string().describe('FP64, or FP32 for a float32 request.'),
        shape: z.array(z.int().min(0)),
        parameters: z.object({ binary_data_size: z.int().min(0).optional() }).optional(),
        data: tensorData.optional(),
      }),
    ),
  })
  .describe(
    'The outputs. When some are binary, the body (application/octet-stream) is this JSON, whose length is the Inference-Header-Content-Length response header, followed by their bytes in output order.',
  );
schemaRegistry.add(v2InferenceResponseSchema, { id: 'V2InferenceResponse' });

/** A problem with the protocol's `error` member (the message) beside the RFC 9457 fields. */
export const v2ErrorSchema = problemSchema
  .extend({ error: z.string().describe('The protocol’s error message (the same as detail).') })
  .describe('An Open Inference Protocol error: RFC 9457 problem details plus `error`.');
schemaRegistry.add(v2ErrorSchema, { id: 'V2Error' });

/** The rank of an argument in the loss's example request (the metadata gives -1 for each dim). */
function exampleRank(v: unknown): number {
  let rank = 0;
  for (let cur = v; Array.isArray(cur); cur = cur[0]) rank++;
  return rank;
}

function flatValues(v: unknown, out: number[]): number[] {
  if (Array.isArray(v)) for (const x of v) flatValues(x, out);
  else out.push(typeof v === 'number' ? v : Number.NaN);
  return out;
}

function exampleShape(v: unknown): number[] {
  const shape: number[] = [];
  for (let cur = v; Array.isArray(cur); cur = cur[0]) shape.push(cur.length);
  return shape;
}

/**
 * The rank of the loss output under the model's default options: the loss's own shape check
 * run on its example. A loss whose default reduction is "none" (torchvision's box losses,
 * sigmoid_focal_loss) answers a tensor, so `[]` would tell a client the wrong rank.
 */
function defaultLossRank(loss: AnyLossDescriptor): number {
  const args: Record<string, { shape: number[]; data: Float64Array | Int32Array }> = {};
  const options: Record<string, unknown> = {};
  const kinds = new Map(loss.args.map((a) => [a.name, a.kind]));
  for (const [key, value] of Object.entries(loss.example)) {
    const kind = kinds.get(key);
    if (kind === undefined) {
      options[key] = value;
      continue;
    }
    const values = flatValues(value, []);
    const data = kind === 'int' ? Int32Array.from(values) : Float64Array.from(values);
    args[key] = { shape: exampleShape(value), data };
  }
  const opts = loss.options.safeParse(options);
  if (!opts.success) return 0;
  try {
    const checked = loss.check(args as never, opts.data as never);
    return checked.ok ? checked.lossShape.length : 0;
  } catch {
    return 0;
  }
}

/** GET /v2/models/{name}: the loss's tensor arguments and its outputs. */
export function modelMetadata(loss: AnyLossDescriptor, name: string): z.infer<typeof v2ModelMetadataSchema> {
  const shapeOf = (arg: string) =>
    loss.example[arg] === undefined ? [-1] : new Array<number>(exampleRank(loss.example[arg])).fill(-1);
  return {
    name,
    versions: [MODEL_VERSION],
    platform: PLATFORM,
    inputs: loss.args.map((a) => ({
      name: a.name,
      datatype: a.kind === 'int' ? 'INT64' : 'FP64',
      shape: shapeOf(a.name),
    })),
    outputs: [
      { name: 'loss', datatype: 'FP64', shape: new Array<number>(defaultLossRank(loss)).fill(-1) },
      ...loss.args
        .filter((a) => a.differentiable)
        .map((a) => ({ name: `grad_${a.name}`, datatype: 'FP64', shape: shapeOf(a.name) })),
    ],
  };
}
