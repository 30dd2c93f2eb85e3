// The schemas every loss shares, described once: the three tensor forms of API.md, the keys
// common to every request, and the problem body. They live in lossd's own Zod registry, so the
// OpenAPI document names each of them once as a component and refers to it everywhere.
//
// Tensors are validated by the decoder, not by Zod (a 1e6-element array would cost seconds):
// the Zod schema only checks the top-level JSON type, and carries the full JSON Schema of the
// three forms as metadata for OpenAPI. Nested arrays are spelled out rank by rank up to
// MAX_RANK (a recursive schema breaks client generators); the decoder enforces the same rank.

import { z } from 'zod';
import { PROBLEMS } from '../errors.js';
import { MAX_RANK } from './limits.js';

/**
 * Components of the OpenAPI document; `id` becomes the component name. Zod's global registry,
 * because that is also where `.describe()` puts descriptions.
 */
export const schemaRegistry = z.globalRegistry;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function nestedArray(rank: number): Record<string, unknown> {
  let schema: Record<string, unknown> = ref('Scalar');
  for (let r = 0; r < rank; r++) schema = { type: 'array', items: schema };
  return { ...schema, title: `Rank${rank}Array` };
}

/** JSON Schemas of the tensor building blocks, referenced by the Tensor component. */
export const TENSOR_COMPONENTS: Record<string, Record<string, unknown>> = {
  Scalar: {
    description: 'A tensor element: a JSON number, or one of the strings "NaN", "Infinity", "-Infinity".',
    anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }],
  },
  Shape: {
    description: `Dimensions, outermost first (at most ${MAX_RANK}); [] is a 0-d tensor.`,
    type: 'array',
    items: { type: 'integer', minimum: 0 },
    maxItems: MAX_RANK,
  },
  NestedTensor: {
    description: `Nested arrays as torch.tensor(list) takes them, rank 1 to ${MAX_RANK} (a bare Scalar is 0-d). Ragged nesting is refused.`,
    anyOf: Array.from({ length: MAX_RANK }, (_, r) => nestedArray(r + 1)),
  },
  FlatTensor: {
    description: 'Row-major values with their shape; data.length must equal the product of shape.',
    type: 'object',
    properties: {
      shape: ref('Shape'),
      data: { type: 'array', items: ref('Scalar') },
      dtype: { type: 'string', enum: ['float32', 'float64', 'int32', 'int64'], description: 'Optional element type.' },
    },
    required: ['shape', 'data'],
    additionalProperties: false,
  },
  B64Tensor: {
    description:
      'Little-endian binary values in base64: IEEE-754 (float32, float64) or two’s complement (int32, int64). The byte length must equal product(shape) × element size. The fast path for big tensors.',
    type: 'object',
    properties: {
      shape: ref('Shape'),
      dtype: { type: 'string', enum: ['float32', 'float64', 'int32', 'int64'] },
      b64: { type: 'string', contentEncoding: 'base64' },
    },
    required: ['shape', 'dtype', 'b64'],
    additionalProperties: false,
  },
};

/** A tensor in any of API.md's three forms; the elements are the decoder's business. */
export const tensorSchema = z.custom<unknown>(
  (v) => typeof v === 'number' || typeof v === 'string' || Array.isArray(v) || (v !== null && typeof v === 'object'),
  { message: 'expected a tensor: a number, nested arrays, or an object with shape and data or b64' },
);
schemaRegistry.add(tensorSchema, {
  id: 'Tensor',
  // NOTE: not a JSON Schema keyword Zod knows; Zod copies registry metadata into the output.
  description:
    'A tensor in one of three forms, mixed freely in one request: a Scalar (0-d), nested arrays, {shape, data} or {shape, dtype, b64}.',
  anyOf: [ref('Scalar'), ref('NestedTensor'), ref('FlatTensor'), ref('B64Tensor')],
});

export const dtypeSchema = z
  .enum(['float64', 'float32'])
  .default('float64')
  .describe('Precision: float32 rounds every float input to float32 and returns float32 values.');

export const encodingSchema = z
  .enum(['nested', 'flat', 'b64'])
  .default('nested')
  .describe('How tensors in the response are written: nested arrays, {shape, data}, or {shape, dtype, b64}.');

export const lossValueSchema = z.custom<unknown>(() => true);
schemaRegistry.add(lossValueSchema, {
  id: 'LossValue',
  description: 'A reduced loss is a Scalar; with reduction "none" the loss is a Tensor in the requested encoding.',
  anyOf: [ref('Scalar'), ref('Tensor')],
});

const problemCodes = Object.keys(PROBLEMS) as [keyof typeof PROBLEMS, ...Array<keyof typeof PROBLEMS>];

export const problemSchema = z
  .object({
    type: z.string().describe('URI of the problem type; GET it for an explanation.'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.enum(problemCodes).describe('Stable machine-readable code (see the table in the API description).'),
    errors: z
      .array(
        z.object({
          path: z.string().describe('JSON Pointer into the request, e.g. /target/3.'),
          message: z.string(),
        }),
      )
      .describe('What is wrong, and where: at most 32 entries; long keys and values are cut with "…".'),
    errors_omitted: z
      .int()
      .optional()
      .describe('How many more errors were found than are listed (present only when some were left out).'),
    known: z.array(z.string()).optional().describe('For an unknown loss: every name the service knows.'),
  })
  .describe(
    'RFC 9457 problem details. Bounded whatever the request held: at most 8 KiB of JSON, long names, keys and values cut with "…".',
  );
schemaRegistry.add(problemSchema, { id: 'Problem' });
