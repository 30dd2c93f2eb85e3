// The request envelope of each loss as one Zod schema, derived from its descriptor: its
// tensor arguments, its options (with PyTorch's defaults and ranges), and the keys every loss
// request has (API.md "Request body"). The same schema validates requests wherever they are
// parsed and is the source of the OpenAPI request body.
//
// Tensors are NOT walked by Zod: a 1e6-element array would cost seconds and a million issues.
// The schema only checks that a tensor is one of the three JSON forms at the top level; the
// decoder (src/codec/decode.ts) reads the elements.

import { z } from 'zod';
import type { AnyLossDescriptor } from '../registry/types.js';
import { dtypeSchema, encodingSchema, lossValueSchema, schemaRegistry, tensorSchema } from './schemas.js';

export const gradWrtSchema = z
  .array(z.string())
  .optional()
  .describe('Arguments to differentiate with respect to; default: the prediction arguments. [] returns no gradients.');

export const gradOutputSchema = tensorSchema
  .optional()
  .describe(
    'Upstream gradient: a number for a reduced loss, a tensor of the loss shape for reduction "none". Default: ones.',
  );

const cache = new WeakMap<AnyLossDescriptor, z.ZodObject>();

export function envelopeSchema(loss: AnyLossDescriptor): z.ZodObject {
  const hit = cache.get(loss);
  if (hit) return hit;
  const tensors: Record<string, z.ZodType> = {};
  for (const arg of loss.args) {
    tensors[arg.name] = arg.required ? tensorSchema : tensorSchema.optional();
  }
  const schema = z.strictObject({
    ...tensors,
    ...loss.options.shape,
    grad_wrt: gradWrtSchema,
    grad_output: gradOutputSchema,
    encoding: encodingSchema,
    dtype: dtypeSchema,
  });
  schemaRegistry.add(schema, { id: `${pascalCase(loss.name)}Request` });
  cache.set(loss, schema);
  return schema;
}

/** `cross_entropy` → `CrossEntropy`, for component names. */
export function pascalCase(name: string): string {
  return name
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

const responseCache = new WeakMap<AnyLossDescriptor, z.ZodObject>();

/** The 200 body of a loss: the loss and one gradient per differentiable argument asked for. */
export function responseSchema(loss: AnyLossDescriptor): z.ZodObject {
  const hit = responseCache.get(loss);
  if (hit) return hit;
  const grads: Record<string, z.ZodType> = {};
  for (const arg of loss.args) if (arg.differentiable) grads[arg.name] = tensorSchema.optional();
  const schema = z.object({
    loss: lossValueSchema,
    grad: z
      .object(grads)
      .optional()
      .describe('One tensor per argument in grad_wrt, in that argument’s shape; absent when grad_wrt is [].'),
  });
  schemaRegistry.add(schema, { id: `${pascalCase(loss.name)}Response` });
  responseCache.set(loss, schema);
  return schema;
}
