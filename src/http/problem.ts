// Every error leaves as RFC 9457 application/problem+json, built here and only here from the
// table in src/errors.ts. Fastify's own errors (body too large, bad media type, a bad URL,
// a method a path does not take, ...), the plugins' and those of Node's HTTP parser are
// mapped onto that table so that no client ever sees another error format.

import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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

/** What a Fastify error says, in lossd's words where Fastify's would echo the request. */
function detailFor(code: ErrorCode, error: FastifyError, request: FastifyRequest): string {
  switch (code) {
    case 'LOSSD_MALFORMED_URL':
      return `the path ${shown(pathOf(request), PATH_CHARS)} holds a percent-encoding that does not decode`;
    case 'LOSSD_URI_TOO_LONG':
      return `a parameter in the path ${shown(pathOf(request), PATH_CHARS)} is longer than the service accepts`;
    case 'LOSSD_UNSUPPORTED_MEDIA_TYPE':
      return `content-type ${shown(String(request.headers['content-type'] ?? '(none)'))} is not supported; send application/json`;
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

/** A problem written straight to a socket (no request object to answer through), which then closes. */
function writeProblem(socket: Socket, code: ErrorCode, detail: string, headers = ''): void {
  const { status } = PROBLEMS[code];
  const body = problemJson({ code, detail, errors: [] });
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${PROBLEM_JSON}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers}connection: close\r\n\r\n${body}`,
  );
}

/**
 * What Node's HTTP server calls when it cannot parse a request (bad framing, headers too
 * large, a client too slow): a problem written straight to the socket when it can still take
 * one, then the connection closed, since nothing after the error can be trusted.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || refused.has(socket)) return;
  refused.add(socket);
  const code = clientErrorCode(err);
  const answer = () => {
    // (nothing can be written after a response has begun: the connection is just closed)
    const started = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent;
    if (socket.writable && !started) writeProblem(socket, code, clientErrorDetail(code, err));
    socket.destroy();
  };
  // a whole request before the bad one on this connection (pipelined) is still being answered:
  // its answer goes first, then the problem, so that the client sees both in order. (When the
  // error is in the body of the request being answered, that answer can never come.)
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (inFlight && !inFlight.writableFinished && inFlight.req.complete && code !== 'LOSSD_CLIENT_TIMEOUT') {
    socket.pause();
    inFlight.once('close', answer);
    return;
  }
  answer();
}

/** Sockets already refused: the parser reports each later chunk as the same error. */
const refused = new WeakSet<Socket>();

/** CONNECT (a proxy's method) is handed to the server's 'connect' listener, never to a route. */
export function connectHandler(_req: unknown, socket: Socket): void {
  if (socket.writable) {
    writeProblem(
      socket,
      'LOSSD_METHOD_NOT_ALLOWED',
      'CONNECT is not served: lossd is not a proxy',
      'allow: GET, HEAD, POST\r\n',
    );
  }
  socket.destroy();
}

/** Node's HTTP parser errors, by the code it gives them. */
function clientErrorCode(err: NodeJS.ErrnoException): ErrorCode {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'LOSSD_CLIENT_TIMEOUT';
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'LOSSD_HEADERS_TOO_LARGE';
  return 'LOSSD_MALFORMED_HTTP';
}

function clientErrorDetail(code: ErrorCode, err: NodeJS.ErrnoException): string {
  if (code === 'LOSSD_CLIENT_TIMEOUT') return 'the request was not received in time';
  if (code === 'LOSSD_HEADERS_TOO_LARGE') return 'the request line and headers exceed 16 KiB';
  // llhttp's reasons ("Invalid header value char", "Content-Length can't be present with
  // Transfer-Encoding") are fixed text, never request bytes
  const reason = (err as { reason?: string }).reason;
  return `the request is not valid HTTP/1.1${reason ? `: ${cut(reason, 120)}` : ''}`;
}
