// The /v1/batch envelope: a list of items, each a loss name plus the body of its single
// request (or, in an NDJSON stream, one item a line). Declared once here: the route gives it
// to OpenAPI, the worker validates with it.

import { z } from 'zod';
import { schemaRegistry } from './schemas.js';

export const batchItemSchema = z
  .object({ loss: z.string().describe('Loss name or alias.') })
  .catchall(z.unknown())
  .describe('A loss name plus the body of a request to POST /v1/losses/{loss}.');

export const batchRequestSchema = z.strictObject({ items: z.array(batchItemSchema) });

export const batchResponseSchema = z.object({
  results: z
    .array(z.record(z.string(), z.unknown()))
    .describe('In order: each a loss response body, or {"error": Problem}.'),
});

/** One line of the answer to an NDJSON stream (POST /v1/batch, application/x-ndjson). */
export const batchStreamLineSchema = z.record(z.string(), z.unknown());

schemaRegistry.add(batchItemSchema, {
  id: 'BatchItem',
  description:
    "A loss name plus the body of a request to POST /v1/losses/{loss}: one entry of a batch's `items`, or one line of an application/x-ndjson stream.",
});
schemaRegistry.add(batchStreamLineSchema, {
  id: 'BatchStreamLine',
  description:
    'One line of an application/x-ndjson answer, for the item on the same line of the request: its loss response body, or {"error": Problem} (paths relative to the item). A stream the server stops ends with one more line {"error": Problem} (503).',
});
schemaRegistry.add(batchRequestSchema, { id: 'BatchRequest' });
schemaRegistry.add(batchResponseSchema, { id: 'BatchResponse' });
