// The request envelope of each loss as one Zod schema, derived from its descriptor: its
// tensor arguments, its options (with PyTorch's defaults and ranges), and the keys every loss
// request has (API.md "Request body"). The same schema validates requests wherever they are
// parsed and is the source of the OpenAPI request body.
//
// Tensors are NOT walked by Zod: a 1e6-element array would cost seconds and a million issues.
// The schema only checks that a tensor is one of the three JSON forms at the top level; the
// decoder (src/codec/decode.ts) reads the elements.

import { z } from 'zod';
import type { AnyLossDescriptor } from './types.js';

/** A tensor in any of API.md's three forms; the elements are the decoder's business. */
export const tensorInput = z.custom<unknown>(
  (v) => typeof v === 'number' || typeof v === 'string' || Array.isArray(v) || (v !== null && typeof v === 'object'),
  { message: 'expected a tensor: a number, nested arrays, or an object with shape and data or b64' },
);

export const dtypeOption = z
  .enum(['float64', 'float32'])
  .default('float64')
  .describe('Precision: float32 rounds every float input to float32 and returns float32 values.');

export const encodingOption = z
  .enum(['nested', 'flat', 'b64'])
  .default('nested')
  .describe('How tensors in the response are written: nested arrays, {shape, data}, or {shape, dtype, b64}.');

export const gradWrtOption = z
  .array(z.string())
  .optional()
  .describe('Arguments to differentiate with respect to; default: the prediction arguments. [] returns no gradients.');

export const gradOutputOption = tensorInput
  .optional()
  .describe(
    'Upstream gradient: a number for a reduced loss, a tensor of the loss shape for reduction "none". Default: ones.',
  );

/** Keys that every loss request may carry besides its tensors and options. */
export const COMMON_KEYS = ['grad_wrt', 'grad_output', 'encoding', 'dtype'] as const;

const cache = new WeakMap<AnyLossDescriptor, z.ZodObject>();

export function envelopeSchema(loss: AnyLossDescriptor): z.ZodObject {
  const hit = cache.get(loss);
  if (hit) return hit;
  const tensors: Record<string, z.ZodType> = {};
  for (const arg of loss.args) {
    const t = tensorInput.describe(arg.description);
    tensors[arg.name] = arg.required ? t : t.optional();
  }
  const schema = z.strictObject({
    ...tensors,
    ...loss.options.shape,
    grad_wrt: gradWrtOption,
    grad_output: gradOutputOption,
    encoding: encodingOption,
    dtype: dtypeOption,
  });
  cache.set(loss, schema);
  return schema;
}
