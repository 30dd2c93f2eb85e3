// Every error leaves as RFC 9457 application/problem+json, built here and only here from the
// table in src/errors.ts. Fastify's own errors (body too large, bad media type, ...) are
// mapped onto that table so that no client ever sees another error format.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, type Failure, PROBLEMS, problemBody } from '../errors.js';

export const PROBLEM_JSON = 'application/problem+json';

export function sendProblem(
  reply: FastifyReply,
  f: Omit<Failure, 'ok'>,
  extra: Record<string, unknown> = {},
): FastifyReply {
  const status = PROBLEMS[f.code].status;
  if (status === 503) reply.header('retry-after', '1');
  return reply
    .code(status)
    .type(PROBLEM_JSON)
    .send(JSON.stringify(problemBody(f, extra)));
}

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'LOSSD_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'LOSSD_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'LOSSD_INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'LOSSD_MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'LOSSD_MALFORMED_JSON',
  FST_ERR_VALIDATION: 'LOSSD_INVALID_REQUEST',
};

function codeFor(error: FastifyError): ErrorCode {
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return mapped;
  const status = error.statusCode ?? 500;
  if (status === 413) return 'LOSSD_BODY_TOO_LARGE';
  if (status === 415) return 'LOSSD_UNSUPPORTED_MEDIA_TYPE';
  if (status === 429) return 'LOSSD_RATE_LIMITED';
  if (status === 401) return 'LOSSD_UNAUTHORIZED';
  if (status === 404) return 'LOSSD_NOT_FOUND';
  if (status >= 400 && status < 500) return 'LOSSD_INVALID_REQUEST';
  return 'LOSSD_INTERNAL';
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const code = codeFor(error);
  if (code === 'LOSSD_INTERNAL') {
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, { code, detail: 'internal error', errors: [] });
  }
  const validation = (
    error as { validation?: Array<{ instancePath?: string; message?: string; params?: { keys?: string[] } }> }
  ).validation;
  const errors =
    validation?.flatMap((v) => {
      const base = v.instancePath === '/' ? '' : (v.instancePath ?? '');
      const keys = v.params?.keys;
      if (Array.isArray(keys)) return keys.map((k) => ({ path: `${base}/${k}`, message: `unknown key "${k}"` }));
      return [{ path: base, message: v.message ?? 'invalid' }];
    }) ?? [];
  const first = errors[0];
  return sendProblem(reply, { code, detail: first ? `${first.path}: ${first.message}` : error.message, errors });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, {
    code: 'LOSSD_NOT_FOUND',
    detail: `no route ${request.method} ${request.url.split('?')[0]}`,
    errors: [],
  });
}
