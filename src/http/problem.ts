// Every error leaves as RFC 9457 application/problem+json, built from the table in
// src/errors.ts: here for whatever reaches Fastify (its own errors: body too large, bad media
// type, a bad URL, a method a path does not take, ...; and the plugins'), in ./node-errors.ts
// for what Node's HTTP server answers before Fastify sees a request. No client ever sees
// another error format.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { cut, cutPointer, shown } from '../bounded-text.js';
import { type ErrorCode, type Failure, PROBLEMS, problemJson } from '../errors.js';

export const PROBLEM_JSON = 'application/problem+json';

/** Characters of the request path shown in a detail (a URL may be 16 KB long). */
const PATH_CHARS = 128;

export function sendProblem(
  reply: FastifyReply,
  f: Omit<Failure, 'ok'>,
  extra: Record<string, unknown> = {},
): FastifyReply {
  const status = PROBLEMS[f.code].status;
  if (status === 503) reply.header('retry-after', '1');
  return reply.code(status).type(PROBLEM_JSON).send(problemJson(f, extra));
}

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'LOSSD_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'LOSSD_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'LOSSD_INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'LOSSD_MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'LOSSD_MALFORMED_JSON',
  FST_ERR_VALIDATION: 'LOSSD_INVALID_REQUEST',
  FST_ERR_BAD_URL: 'LOSSD_MALFORMED_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'LOSSD_URI_TOO_LONG',
};

/** The code for a status nothing more specific names (a plugin's error, say). */
const STATUS_CODE_OF: Readonly<Record<number, ErrorCode>> = {
  401: 'LOSSD_UNAUTHORIZED',
  403: 'LOSSD_FORBIDDEN',
  404: 'LOSSD_NOT_FOUND',
  405: 'LOSSD_METHOD_NOT_ALLOWED',
  408: 'LOSSD_CLIENT_TIMEOUT',
  413: 'LOSSD_BODY_TOO_LARGE',
  414: 'LOSSD_URI_TOO_LONG',
  415: 'LOSSD_UNSUPPORTED_MEDIA_TYPE',
  429: 'LOSSD_RATE_LIMITED',
  431: 'LOSSD_HEADERS_TOO_LARGE',
};

const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(PROBLEMS, code);

function codeFor(error: FastifyError): ErrorCode {
  if (error.code) {
    if (isErrorCode(error.code)) return error.code;
    const mapped = FASTIFY_CODES[error.code];
    if (mapped) return mapped;
  }
  const status = error.statusCode ?? 500;
  const byStatus = STATUS_CODE_OF[status];
  if (byStatus) return byStatus;
  if (status >= 400 && status < 500) return 'LOSSD_INVALID_REQUEST';
  return 'LOSSD_INTERNAL';
}

/** The request's path, without its query, cut for a message. */
const pathOf = (request: FastifyRequest) => cut(request.url.split('?')[0] ?? '', PATH_CHARS);

/** What a body route takes, for its 415 (the routes' own content-type parsers decide). */
function mediaTypesOf(request: FastifyRequest): string {
  const route = request.routeOptions.url ?? '';
  if (route.startsWith('/v2/')) return 'application/json or application/octet-stream (or no content-type)';
  if (route === '/v1/batch') return 'application/json, or application/x-ndjson for a stream';
  return 'application/json';
}

/** What a Fastify error says, in lossd's words where Fastify's would echo the request. */
function detailFor(code: ErrorCode, error: FastifyError, request: FastifyRequest): string {
  switch (code) {
    case 'LOSSD_MALFORMED_URL':
      return `the path ${shown(pathOf(request), PATH_CHARS)} holds a percent-encoding that does not decode`;
    case 'LOSSD_URI_TOO_LONG':
      return `a parameter in the path ${shown(pathOf(request), PATH_CHARS)} is longer than the service accepts`;
    case 'LOSSD_UNSUPPORTED_MEDIA_TYPE':
      return `content-type ${shown(String(request.headers['content-type'] ?? '(none)'))} is not supported; send ${mediaTypesOf(request)}`;
    default:
      return cut(error.message, 512);
  }
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
      if (Array.isArray(keys)) return keys.map((k) => ({ path: `${base}/${k}`, message: `unknown key ${shown(k)}` }));
      return [{ path: base, message: v.message ?? 'invalid' }];
    }) ?? [];
  const first = errors[0];
  return sendProblem(reply, {
    code,
    detail: first ? `${cutPointer(first.path)}: ${first.message}` : detailFor(code, error, request),
    errors,
  });
}

/** Fastify's router errors (a bad percent-encoding, an over-long parameter), as problems. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  errorHandler(error, request, reply);
}

/**
 * The answer when no route takes the method and path: a 405 with an allow header when the
 * path exists with other methods (`allowedMethods`, src/http/methods.ts), else a 404.
 */
export const notFoundHandler =
  (allowedMethods: (path: string) => string[]) =>
  (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const allow = allowedMethods(request.url.split('?')[0] ?? '');
    // a route that takes this method and found nothing (a missing static file) is a 404
    if (allow.length > 0 && !allow.includes(request.method)) {
      reply.header('allow', allow.join(', '));
      return sendProblem(reply, {
        code: 'LOSSD_METHOD_NOT_ALLOWED',
        detail: `${shown(request.method, 16)} is not allowed on ${pathOf(request)}; allowed: ${allow.join(', ')}`,
        errors: [],
      });
    }
    return sendProblem(reply, {
      code: 'LOSSD_NOT_FOUND',
      detail: `no route ${cut(request.method, 16)} ${pathOf(request)}`,
      errors: [],
    });
  };
