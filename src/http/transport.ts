// The HTTP layer around the routes: Node's server timeouts (slow and idle clients), the request
// id, and the requests refused before any route sees them (a missing host, an over-long URL,
// CONNECT, an expect header, what Node's parser cannot read), all answered as problems.

import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { clientErrorHandler, connectHandler, registerExpectations } from './node-errors.js';
import { frameworkErrors, sendProblem } from './problem.js';

export interface HttpTimeouts {
  /** To receive a request's line and headers: a slowloris client is cut off after this. */
  readonly headers: number;
  /** To receive a whole request, body included (64 MiB at 0.5 MB/s fits): not its computation. */
  readonly request: number;
  /** An idle keep-alive connection is closed after this (above load balancers' usual 60 s). */
  readonly keepAlive: number;
}

export const HTTP_TIMEOUTS: HttpTimeouts = { headers: 10_000, request: 120_000, keepAlive: 72_000 };

/** Longer URLs are a 414 (Node itself refuses a request line and headers over 16 KiB). */
const MAX_URL_CHARS = 8192;
/** A client's x-request-id is kept (and echoed, and logged) only if it looks like an id. */
const REQUEST_ID = /^[\w.:@+=-]{1,128}$/;

/** Fastify's server options for the transport. */
export function transportOptions(timeouts: HttpTimeouts) {
  return {
    // a client's id is echoed in a header and in every log line: only a short, plain one is
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const id = req.headers['x-request-id'];
      return typeof id === 'string' && REQUEST_ID.test(id) ? id : randomUUID();
    },
    frameworkErrors,
    clientErrorHandler,
    requestTimeout: timeouts.request,
    keepAliveTimeout: timeouts.keepAlive,
    http: {
      headersTimeout: timeouts.headers,
      // expired connections are looked for every second (Node's default: every 30 s)
      connectionsCheckingInterval: 1000,
      // a missing host is answered below as a problem (Node's own answer is a bare 400)
      requireHostHeader: false,
    },
  };
}

/** The listeners and the hook that refuse requests before any route sees them. */
export function registerTransport(app: FastifyInstance, bodyLimit: number): void {
  // CONNECT never reaches a route (Node hands it to a 'connect' listener, else drops it)
  app.server.on('connect', connectHandler);
  registerExpectations(app.server, bodyLimit, (req, res) => app.routing(req, res));

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
}
