// POST /v1/losses/{name}: one route per canonical loss (so that OpenAPI has one typed
// operation per loss) and per alias, plus a catch-all that answers 404 with the known names.
// The handler only moves bytes: the worker parses, validates, computes and encodes.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { shown } from '../../bounded-text.js';
import type { Config } from '../../config.js';
import { envelopeSchema, responseSchema } from '../../contract/envelope.js';
import type { LossPool } from '../../pool/pool.js';
import { knownNames, LOSSES } from '../../registry/index.js';
import type { AnyLossDescriptor } from '../../registry/types.js';
import { ownedBytes } from '../owned-bytes.js';
import { answerFromPool } from '../pool-answer.js';
import { sendProblem } from '../problem.js';
import { BODY_ROUTE_ERRORS, errorResponses, ok } from '../responses.js';
import { validatedInWorker } from '../validation.js';

export function lossRoutes(app: FastifyInstance, pool: LossPool, config: Config): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  const handler = (loss: AnyLossDescriptor) => async (request: FastifyRequest, reply: FastifyReply) => {
    const task = {
      kind: 'loss',
      loss: loss.name,
      body: ownedBytes(request.body as Buffer),
      maxElements: config.maxElements,
    } as const;
    await answerFromPool(pool, task, config.requestTimeoutMs, request, reply);
    return reply;
  };

  for (const loss of LOSSES) {
    const body = envelopeSchema(loss);
    validatedInWorker(body);
    for (const name of [loss.name, ...loss.aliases]) {
      const alias = name !== loss.name;
      typed.post(`/v1/losses/${name}`, {
        schema: {
          operationId: alias ? undefined : loss.name,
          summary: alias ? `${loss.name} (alias ${name})` : loss.summary,
          description: `${loss.summary}\n\nFormula: \`${loss.formula}\`\n\nReference: ${loss.reference}`,
          tags: ['losses'],
          hide: alias,
          body,
          response: {
            200: ok(responseSchema(loss), 'The loss, and the gradients asked for.'),
            ...errorResponses(...BODY_ROUTE_ERRORS),
          },
        },
        handler: handler(loss),
      });
    }
  }

  typed.post('/v1/losses/:name', {
    schema: { params: z.object({ name: z.string() }), hide: true },
    handler: async (request, reply) =>
      sendProblem(
        reply,
        {
          code: 'LOSSD_UNKNOWN_LOSS',
          detail: `no loss named ${shown(request.params.name)}; known names: ${knownNames().join(', ')}`,
          errors: [{ path: '', message: `unknown loss ${shown(request.params.name)}` }],
        },
        { known: knownNames() },
      ),
  });
}
