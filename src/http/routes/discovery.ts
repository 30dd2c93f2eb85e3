// GET /v1/losses and GET /v1/losses/{name}: what the service computes, from the registry.

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { shown } from '../../bounded-text.js';
import { describeLoss, lossInfoSchema } from '../../contract/discovery.js';
import { schemaRegistry } from '../../contract/schemas.js';
import { findLoss, knownNames, LOSSES } from '../../registry/index.js';
import { sendProblem } from '../problem.js';
import { errorResponses, ok } from '../responses.js';

schemaRegistry.add(lossInfoSchema, { id: 'LossInfo' });
const lossListSchema = z.object({ losses: z.array(lossInfoSchema) });
schemaRegistry.add(lossListSchema, { id: 'LossList' });

export function discoveryRoutes(app: FastifyInstance): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const all = { losses: LOSSES.map(describeLoss) };

  typed.get('/v1/losses', {
    schema: {
      operationId: 'listLosses',
      summary: 'Every loss, with its arguments, options and formula.',
      tags: ['discovery'],
      response: { 200: ok(lossListSchema, 'Every loss the service computes.') },
    },
    handler: async () => all,
  });

  typed.get('/v1/losses/:name', {
    schema: {
      operationId: 'getLoss',
      summary: 'One loss; an alias answers with its canonical entry.',
      tags: ['discovery'],
      params: z.object({ name: z.string().describe('Canonical name or alias.') }),
      response: { 200: ok(lossInfoSchema, 'The loss’s canonical entry.'), ...errorResponses(404) },
    },
    handler: async (request, reply) => {
      const loss = findLoss(request.params.name);
      if (loss === undefined) {
        return sendProblem(
          reply,
          {
            code: 'LOSSD_UNKNOWN_LOSS',
            detail: `no loss named ${shown(request.params.name)}; known names: ${knownNames().join(', ')}`,
            errors: [{ path: '', message: `unknown loss ${shown(request.params.name)}` }],
          },
          { known: knownNames() },
        );
      }
      return describeLoss(loss);
    },
  });
}
