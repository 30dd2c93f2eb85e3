// buildApp: plugins and routes, never listening (server.ts owns the process). Tests build the
// same app and listen on 127.0.0.1 themselves.

import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { cut } from './bounded-text.js';
import type { Config } from './config.js';
import { readBody } from './http/body-reader.js';
import { trackRoutes } from './http/methods.js';
import { registerMetrics } from './http/metrics.js';
import { registerOpenApi } from './http/openapi.js';
import { errorHandler, notFoundHandler } from './http/problem.js';
import { registerProtection } from './http/protection.js';
import { batchRoutes } from './http/routes/batch.js';
import { discoveryRoutes } from './http/routes/discovery.js';
import { docsRoutes } from './http/routes/docs.js';
import { lossRoutes } from './http/routes/losses.js';
import { type Lifecycle, opsRoutes } from './http/routes/ops.js';
import { playgroundRoutes } from './http/routes/playground.js';
import { v2Routes } from './http/routes/v2.js';
import { HTTP_TIMEOUTS, type HttpTimeouts, registerTransport, transportOptions } from './http/transport.js';
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
  /** The process's pino logger (server.ts makes it); none: the app logs nothing. */
  readonly logger?: FastifyBaseLogger;
  readonly lifecycle?: Lifecycle;
  /** Node HTTP server timeouts, in ms (tests shorten them). */
  readonly timeouts?: Partial<HttpTimeouts>;
}

/** Characters of the URL in the request's log line. */
const LOGGED_URL_CHARS = 256;

export async function buildApp({
  config,
  pool,
  logger,
  lifecycle = { draining: false },
  timeouts: timeoutOverrides,
}: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger === undefined ? { logger: false } : { loggerInstance: logger }),
    bodyLimit: config.bodyLimit,
    // our own onResponse hook writes the single line per request
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    ...transportOptions({ ...HTTP_TIMEOUTS, ...timeoutOverrides }),
  });

  app.setValidatorCompiler(schemaCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  const allowedMethods = trackRoutes(app);
  app.setNotFoundHandler(notFoundHandler(allowedMethods));
  registerTransport(app, config.bodyLimit);

  // JSON only: the default text/plain parser goes, so any other media type is a 415. No body is
  // parsed on this thread: every body route (a loss, a batch) hands its bytes to a worker,
  // which parses and validates them (src/pipeline/).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', (request, payload, done) => {
    readBody(payload, request.headers, request.routeOptions.bodyLimit, done);
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // while draining, close each connection after its response, so that shutdown does not
    // wait out the clients' keep-alive
    if (lifecycle.draining) reply.header('connection', 'close');
  });

  // One log line per request: route, status, time, and what the loss computed (never tensors).
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: cut(request.url, LOGGED_URL_CHARS),
        status: reply.statusCode,
        ms: Number(reply.elapsedTime.toFixed(3)),
        ...request.lossd,
      },
      'request',
    );
  });

  await registerProtection(app, config);
  await registerOpenApi(app);
  const streamMetrics = registerMetrics(app, pool);
  opsRoutes(app, pool, lifecycle);
  discoveryRoutes(app);
  lossRoutes(app, pool, config);
  batchRoutes(app, pool, config, { metrics: streamMetrics });
  await v2Routes(app, pool, config, lifecycle);
  await docsRoutes(app);
  playgroundRoutes(app);
  return app;
}
