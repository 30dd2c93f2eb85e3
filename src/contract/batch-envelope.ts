// The /v1/batch envelope: a list of items, each a loss name plus the body of its single
// request. Declared once here: the route gives it to OpenAPI, the worker validates with it.

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

schemaRegistry.add(batchRequestSchema, { id: 'BatchRequest' });
schemaRegistry.add(batchResponseSchema, { id: 'BatchResponse' });
