// Operations: liveness and readiness.

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LossPool } from '../../pool/pool.js';
import { sendProblem } from '../problem.js';
import { errorResponses, ok } from '../responses.js';

const health = z.object({ status: z.string() });

export interface Lifecycle {
  /** Set once shutdown has begun: readiness turns 503 while in-flight requests finish. */
  draining: boolean;
}

export function opsRoutes(app: FastifyInstance, pool: LossPool, lifecycle: Lifecycle): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/healthz', {
    schema: {
      summary: 'Liveness: the process answers.',
      tags: ['operations'],
      response: { 200: ok(health, 'The process is alive.') },
    },
    handler: async () => ({ status: 'ok' }),
  });

  typed.get('/readyz', {
    schema: {
      summary: 'Readiness: the worker pool is up and takes work.',
      tags: ['operations'],
      response: {
        200: ok(health.extend({ workers: z.number().int() }), 'The worker pool takes work.'),
        ...errorResponses(503),
      },
    },
    handler: async (_request, reply) => {
      if (lifecycle.draining) {
        return sendProblem(reply, { code: 'LOSSD_SHUTTING_DOWN', detail: 'the server is shutting down', errors: [] });
      }
      if (!(await pool.ping(2000))) {
        return sendProblem(reply, { code: 'LOSSD_OVERLOADED', detail: 'no worker answered within 2 s', errors: [] });
      }
      return { status: 'ready', workers: pool.size };
    },
  });
}
