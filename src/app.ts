// buildApp: plugins and routes, never listening (server.ts owns the process). Tests build the
// same app and listen on 127.0.0.1 themselves.

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import { errorHandler, notFoundHandler } from './http/problem.js';
import { lossRoutes } from './http/routes/losses.js';
import { type Lifecycle, opsRoutes } from './http/routes/ops.js';
import { schemaCompiler } from './http/validation.js';
import type { LossPool } from './pool/pool.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request computed, for its log line. */
    lossd?: { loss: string; elements: number; kernelMs: number; totalMs: number };
  }
}

export interface AppDeps {
  readonly config: Config;
  readonly pool: LossPool;
  readonly logger?: FastifyServerOptions['logger'];
  readonly lifecycle?: Lifecycle;
}

export async function buildApp({ config, pool, logger = false, lifecycle = { draining: false } }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    bodyLimit: config.bodyLimit,
    // our own onResponse hook writes the single line per request
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
  });

  app.setValidatorCompiler(schemaCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  // JSON only: the default text/plain parser goes, so any other media type is a 415. Bodies
  // stay bytes here; the workers parse them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  // One log line per request: route, status, time, and what the loss computed (never tensors).
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Number(reply.elapsedTime.toFixed(3)),
        ...request.lossd,
      },
      'request',
    );
  });

  opsRoutes(app, pool, lifecycle);
  lossRoutes(app, pool, config);
  return app;
}
