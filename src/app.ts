// buildApp: plugins and routes, never listening (server.ts owns the process). Tests build the
// same app and listen on 127.0.0.1 themselves.

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { cut } from './bounded-text.js';
import type { Config } from './config.js';
import { readBody } from './http/body-reader.js';
import { trackRoutes } from './http/methods.js';
import { registerMetrics } from './http/metrics.js';
import { clientErrorHandler, connectHandler, registerExpectations } from './http/node-errors.js';
import { registerOpenApi } from './http/openapi.js';
import { errorHandler, frameworkErrors, notFoundHandler, sendProblem } from './http/problem.js';
import { registerProtection } from './http/protection.js';
import { batchRoutes } from './http/routes/batch.js';
import { discoveryRoutes } from './http/routes/discovery.js';
import { docsRoutes } from './http/routes/docs.js';
import { lossRoutes } from './http/routes/losses.js';
import { type Lifecycle, opsRoutes } from './http/routes/ops.js';
import { playgroundRoutes } from './http/routes/playground.js';
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
  /** Node HTTP server timeouts, in ms (tests shorten them). */
  readonly timeouts?: Partial<HttpTimeouts>;
}

export interface HttpTimeouts {
  /** To receive a request's line and headers: a slowloris client is cut off after this. */
  readonly headers: number;
  /** To receive a whole request, body included (64 MiB at 0.5 MB/s fits): not its computation. */
  readonly request: number;
  /** An idle keep-alive connection is closed after this (above load balancers' usual 60 s). */
  readonly keepAlive: number;
}

const TIMEOUTS: HttpTimeouts = { headers: 10_000, request: 120_000, keepAlive: 72_000 };

/** Longer URLs are a 414 (Node itself refuses a request line and headers over 16 KiB). */
const MAX_URL_CHARS = 8192;
/** A client's x-request-id is kept (and echoed, and logged) only if it looks like an id. */
const REQUEST_ID = /^[\w.:@+=-]{1,128}$/;
/** Characters of the URL in the request's log line. */
const LOGGED_URL_CHARS = 256;

export async function buildApp({
  config,
  pool,
  logger = false,
  lifecycle = { draining: false },
  timeouts: timeoutOverrides,
}: AppDeps): Promise<FastifyInstance> {
  const timeouts = { ...TIMEOUTS, ...timeoutOverrides };
  const app = Fastify({
    logger,
    bodyLimit: config.bodyLimit,
    // our own onResponse hook writes the single line per request
    logController: new LogController({ disableRequestLogging: true }),
    // a client's id is echoed in a header and every log line: only a short, plain one is
    genReqId: (req) => {
      const id = req.headers['x-request-id'];
      return typeof id === 'string' && REQUEST_ID.test(id) ? id : randomUUID();
    },
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
    requestTimeout: timeouts.request,
    keepAliveTimeout: timeouts.keepAlive,
    // checked every second (Node's default is 30 s, far coarser than the timeouts)
    // a missing host is answered below as a problem (Node's own answer is a bare 400)
    http: { headersTimeout: timeouts.headers, connectionsCheckingInterval: 1000, requireHostHeader: false },
  });

  app.setValidatorCompiler(schemaCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  const allowedMethods = trackRoutes(app);
  app.setNotFoundHandler(notFoundHandler(allowedMethods));
  // CONNECT never reaches a route (Node hands it to a 'connect' listener, else drops it)
  app.server.on('connect', connectHandler);
  registerExpectations(app.server, config.bodyLimit, (req, res) => app.routing(req, res));

  // JSON only: the default text/plain parser goes, so any other media type is a 415. No body is
  // parsed on this thread: every body route (a loss, a batch) hands its bytes to a worker,
  // which parses and validates them (src/pool/worker.ts).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', (request, payload, done) => {
    readBody(payload, request.headers, request.routeOptions.bodyLimit, done);
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      return sendProblem(reply, {
        code: 'LOSSD_MALFORMED_HTTP',
        detail: 'the request is not valid HTTP/1.1: it has no host header',
        errors: [],
      });
    }
    if (request.url.length > MAX_URL_CHARS) {
      return sendProblem(reply, {
        code: 'LOSSD_URI_TOO_LONG',
        detail: `the URL has ${request.url.length} characters; at most ${MAX_URL_CHARS} are accepted`,
        errors: [],
      });
    }
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
  registerMetrics(app, pool);
  opsRoutes(app, pool, lifecycle);
  discoveryRoutes(app);
  lossRoutes(app, pool, config);
  batchRoutes(app, pool, config);
  await docsRoutes(app);
  playgroundRoutes(app);
  return app;
}
