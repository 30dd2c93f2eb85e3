// What protects the computing routes (/v1/*, and the v2 models under /v2/models/) when the operator asks for it: a bearer token
// (LOSSD_API_KEY) and a per-client rate limit (LOSSD_RATE_LIMIT requests per minute). Health,
// readiness, metrics and the API documents stay open, so probes and scrapers need no secret.

import bearerAuth from '@fastify/bearer-auth';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { problemBody } from '../errors.js';
import { PROBLEM_JSON } from './problem.js';

const isProtected = (request: FastifyRequest) =>
  request.url.startsWith('/v1/') || request.url.startsWith('/v2/models/');

export async function registerProtection(app: FastifyInstance, config: Config): Promise<void> {
  if (config.apiKey !== undefined) {
    await app.register(bearerAuth, {
      keys: new Set([config.apiKey]),
      addHook: false,
      contentType: PROBLEM_JSON,
      verifyErrorLogLevel: 'debug',
      // NOTE: the plugin's types want {error: string}; it sends whatever object we return.
      errorResponse: ((err: Error) =>
        problemBody({
          code: 'LOSSD_UNAUTHORIZED',
          detail: `${err.message}: send "authorization: Bearer <key>"`,
          errors: [{ path: '', message: 'missing or wrong bearer token' }],
        })) as unknown as (err: Error) => { error: string },
    });
    app.addHook('onRequest', (request, reply, done) => {
      if (!isProtected(request)) return done();
      app.verifyBearerAuth?.(request, reply, done);
    });
  }

  if (config.rateLimit !== undefined) {
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimit,
      timeWindow: 60_000,
      allowList: (request) => !isProtected(request),
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        code: 'LOSSD_RATE_LIMITED',
        message: `rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}`,
      }),
    });
  }
}
