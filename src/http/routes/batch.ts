// POST /v1/batch: many losses in one round trip, answered in order; a failing item becomes
// {"error": problem} and never sinks the rest. Like a single loss request, the body stays
// bytes here and goes to one worker, which parses, validates and computes every item
// (src/pipeline/run-batch.ts): a large batch never holds the event loop.

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../../config.js';
import { batchRequestSchema, batchResponseSchema } from '../../contract/batch-envelope.js';
import type { LossPool } from '../../pool/pool.js';
import { ownedBytes } from '../owned-bytes.js';
import { answerFromPool } from '../pool-answer.js';
import { BODY_ROUTE_ERRORS, errorResponses, ok } from '../responses.js';
import { validatedInWorker } from '../validation.js';

export function batchRoutes(app: FastifyInstance, pool: LossPool, config: Config): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  validatedInWorker(batchRequestSchema);

  typed.post('/v1/batch', {
    schema: {
      operationId: 'batch',
      summary: 'Many losses in one round trip.',
      description: `Each item is answered in order, as its single request would be, or as {"error": Problem}; the status is 200 even when items fail. At most ${config.maxBatchItems} items (LOSSD_MAX_BATCH_ITEMS) and ${config.maxElements} tensor elements in all (LOSSD_MAX_ELEMENTS); beyond either, the whole batch is a 413.`,
      tags: ['losses'],
      body: batchRequestSchema,
      response: {
        200: ok(batchResponseSchema, 'One result per item, in order.'),
        ...errorResponses(...BODY_ROUTE_ERRORS),
      },
    },
    handler: async (request, reply) => {
      const task = {
        kind: 'batch',
        body: ownedBytes(request.body as unknown as Buffer),
        maxItems: config.maxBatchItems,
        maxElements: config.maxElements,
      } as const;
      await answerFromPool(pool, task, config.requestTimeoutMs, request, reply);
      return reply;
    },
  });
}
