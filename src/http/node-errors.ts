// Answers Node's HTTP server gives before a request reaches Fastify (a request it cannot
// parse, CONNECT, an expect header), as problems from the same table as every other error.

import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { cut } from '../bounded-text.js';
import { type ErrorCode, PROBLEMS, problemJson } from '../errors.js';
import { PROBLEM_JSON } from './problem.js';

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

/** A problem through a response Node made before Fastify saw the request; the connection then closes. */
function respondProblem(res: ServerResponse, code: ErrorCode, detail: string): void {
  const body = problemJson({ code, detail, errors: [] });
  res.writeHead(PROBLEMS[code].status, {
    'content-type': PROBLEM_JSON,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/**
 * Expect headers (RFC 9110 10.1.1): a body declared over the limit is refused before the
 * client sends it (413, no 100 Continue); any other expectation than 100-continue is a 417.
 * `handle` is Fastify's request handler, which every other request goes to.
 */
export function registerExpectations(
  server: Server,
  bodyLimit: number,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  server.on('checkContinue', (req, res) => {
    if (Number(req.headers['content-length']) > bodyLimit) {
      respondProblem(
        res,
        'LOSSD_BODY_TOO_LARGE',
        `the declared body is larger than ${bodyLimit} bytes (LOSSD_BODY_LIMIT)`,
      );
      return;
    }
    res.writeContinue();
    handle(req, res);
  });
  server.on('checkExpectation', (_req, res) => {
    respondProblem(res, 'LOSSD_EXPECTATION_FAILED', 'the only expectation served is "expect: 100-continue"');
  });
}
