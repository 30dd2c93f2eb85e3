// POST /v1/batch: many small losses in one round trip. Items are spread over the worker pool
// and answered in order; a failing item becomes {"error": problem} and never sinks the rest.
// The batch body is parsed here, on the main thread, so it is meant for many small tensors
// (big tensors belong in single requests, whose bodies are parsed in the workers).

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config.js';
import { failure, problemBody } from '../../errors.js';
import type { LossPool } from '../../pool/pool.js';
import { findLoss, knownNames } from '../../registry/index.js';
import { schemaRegistry } from '../../registry/schemas.js';
import { sendProblem } from '../problem.js';
import { BODY_ROUTE_ERRORS, errorResponses, ok } from '../responses.js';

const itemSchema = z
  .object({ loss: z.string().describe('Loss name or alias.') })
  .catchall(z.unknown())
  .describe('A loss name plus the body of a request to POST /v1/losses/{loss}.');
const batchRequestSchema = z.strictObject({ items: z.array(itemSchema) });
const batchResponseSchema = z.object({
  results: z
    .array(z.record(z.string(), z.unknown()))
    .describe('In order: each a loss response body, or {"error": Problem}.'),
});
schemaRegistry.add(batchRequestSchema, { id: 'BatchRequest' });
schemaRegistry.add(batchResponseSchema, { id: 'BatchResponse' });

const decoder = new TextDecoder();

/** Elements a tensor declares, read from its shape without walking its data. */
function declaredElements(v: unknown): number {
  if (typeof v === 'number' || typeof v === 'string') return 1;
  if (Array.isArray(v)) {
    let n = 1;
    for (let cur: unknown = v; Array.isArray(cur); cur = cur[0]) {
      n *= cur.length;
      if (cur.length === 0) break;
    }
    return n;
  }
  if (v !== null && typeof v === 'object' && Array.isArray((v as { shape?: unknown }).shape)) {
    return ((v as { shape: unknown[] }).shape as number[]).reduce((a, b) => a * (typeof b === 'number' ? b : 0), 1);
  }
  return 0;
}

export function batchRoutes(app: FastifyInstance, pool: LossPool, config: Config): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

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
      const { items } = request.body;
      if (items.length > config.maxBatchItems) {
        return sendProblem(reply, {
          code: 'LOSSD_BODY_TOO_LARGE',
          detail: `the batch has ${items.length} items; at most ${config.maxBatchItems} are accepted`,
          errors: [{ path: '/items', message: `more than ${config.maxBatchItems} items` }],
        });
      }
      let total = 0;
      for (const item of items)
        for (const [k, v] of Object.entries(item)) if (k !== 'loss') total += declaredElements(v);
      if (total > config.maxElements) {
        return sendProblem(reply, {
          code: 'LOSSD_TOO_MANY_ELEMENTS',
          detail: `the batch holds ${total} tensor elements; at most ${config.maxElements} are accepted`,
          errors: [{ path: '/items', message: 'too many tensor elements' }],
        });
      }
      const started = performance.now();
      const results = await Promise.all(
        items.map(async ({ loss: name, ...body }, i) => {
          const loss = findLoss(name);
          if (loss === undefined) {
            const f = failure('LOSSD_UNKNOWN_LOSS', `no loss named "${name}"`, [
              { path: `/items/${i}/loss`, message: `unknown loss; known: ${knownNames().join(', ')}` },
            ]);
            return `{"error":${JSON.stringify(problemBody(f))}}`;
          }
          const r = await pool.run(
            { kind: 'loss', loss: loss.name, body, raw: false, maxElements: config.maxElements },
            config.requestTimeoutMs,
          );
          if (!r.ok) {
            const errors = r.errors.map((e) => ({ path: `/items/${i}${e.path}`, message: e.message }));
            return `{"error":${JSON.stringify(problemBody({ ...r, errors }))}}`;
          }
          return decoder.decode(r.body);
        }),
      );
      request.lossd = { loss: 'batch', elements: total, kernelMs: 0, totalMs: performance.now() - started };
      // already JSON text: sent as is, not re-serialized
      return reply.type('application/json').send(`{"results":[${results.join(',')}]}` as never);
    },
  });
}
