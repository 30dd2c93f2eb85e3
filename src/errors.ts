// Every problem lossd can answer with, in one append-only table (RFC 9457 problem types).
// A code is never reused or renumbered; add new ones at the end. `type` is a relative URI
// that the service itself resolves (GET /problems/{slug}) to the explanation below.

import { cut, cutPointer } from './bounded-text.js';

export interface ProblemType {
  readonly status: number;
  readonly title: string;
  /** Last segment of the problem `type` URI. */
  readonly slug: string;
  /** When a client sees it, and what to do. */
  readonly explanation: string;
}

export const PROBLEMS = Object.freeze({
  LOSSD_MALFORMED_JSON: {
    status: 400,
    title: 'Malformed JSON',
    slug: 'malformed-json',
    explanation: 'The body is not valid JSON (or is nested deeper than the service parses).',
  },
  LOSSD_INVALID_REQUEST: {
    status: 400,
    title: 'Invalid request',
    slug: 'invalid-request',
    explanation:
      'The body does not have the shape of a request: not an object, an unknown key, a missing argument, or an option of the wrong JSON type.',
  },
  LOSSD_INVALID_TENSOR: {
    status: 400,
    title: 'Invalid tensor',
    slug: 'invalid-tensor',
    explanation:
      'A tensor could not be decoded: ragged nesting, a non-number element, a data length or base64 byte length that does not match the shape, a fractional or non-finite value in an integer argument, or a rank above 8.',
  },
  LOSSD_SHAPE_MISMATCH: {
    status: 400,
    title: 'Shape mismatch',
    slug: 'shape-mismatch',
    explanation: 'The tensors do not have shapes this loss accepts together (as PyTorch would refuse them).',
  },
  LOSSD_INVALID_VALUE: {
    status: 400,
    title: 'Invalid value',
    slug: 'invalid-value',
    explanation:
      'A tensor holds a value the loss refuses, such as a class index outside [0, C) that is not ignore_index.',
  },
  LOSSD_INVALID_OPTION: {
    status: 400,
    title: 'Invalid option',
    slug: 'invalid-option',
    explanation: 'An option is outside the range PyTorch accepts (e.g. beta < 0, label_smoothing > 1).',
  },
  LOSSD_GRADIENT_UNAVAILABLE: {
    status: 400,
    title: 'Gradient not available',
    slug: 'gradient-unavailable',
    explanation:
      'grad_wrt names an argument PyTorch cannot differentiate here: an integer argument, one the loss treats as a constant, one absent from the body, or one listed twice.',
  },
  LOSSD_INVALID_GRAD_OUTPUT: {
    status: 400,
    title: 'Invalid grad_output',
    slug: 'invalid-grad-output',
    explanation:
      'grad_output does not have the shape of the loss: a number for a reduced loss, a tensor of the loss shape for reduction "none".',
  },
  LOSSD_UNAUTHORIZED: {
    status: 401,
    title: 'Unauthorized',
    slug: 'unauthorized',
    explanation: 'An API key is configured and the request has no bearer token, or a wrong one.',
  },
  LOSSD_UNKNOWN_LOSS: {
    status: 404,
    title: 'Unknown loss',
    slug: 'unknown-loss',
    explanation: 'No loss has that name or alias; the problem lists the known names.',
  },
  LOSSD_NOT_FOUND: {
    status: 404,
    title: 'Not found',
    slug: 'not-found',
    explanation: 'No route matches the method and path.',
  },
  LOSSD_BODY_TOO_LARGE: {
    status: 413,
    title: 'Body too large',
    slug: 'body-too-large',
    explanation:
      "The body is larger than the configured byte limit (LOSSD_BODY_LIMIT), or parsing it would take more of a worker's heap than one request may have (half of LOSSD_WORKER_HEAP_MB); the binary tensor form takes far less.",
  },
  LOSSD_TOO_MANY_ELEMENTS: {
    status: 413,
    title: 'Too many elements',
    slug: 'too-many-elements',
    explanation: 'The tensors of one request hold more elements than the configured limit (LOSSD_MAX_ELEMENTS).',
  },
  LOSSD_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported media type',
    slug: 'unsupported-media-type',
    explanation: 'Requests with a body must be sent as application/json.',
  },
  LOSSD_RATE_LIMITED: {
    status: 429,
    title: 'Too many requests',
    slug: 'rate-limited',
    explanation: 'The client sent more requests than the configured rate limit allows; retry after the delay given.',
  },
  LOSSD_OVERLOADED: {
    status: 503,
    title: 'Overloaded',
    slug: 'overloaded',
    explanation: 'The worker queue is full; retry after the delay in the retry-after header.',
  },
  LOSSD_SHUTTING_DOWN: {
    status: 503,
    title: 'Shutting down',
    slug: 'shutting-down',
    explanation: 'The server is draining before it stops; send the request to another replica.',
  },
  LOSSD_INTERNAL: {
    status: 500,
    title: 'Internal error',
    slug: 'internal',
    explanation: 'A fault in the service itself. It is logged; please report it with the request id.',
  },
  LOSSD_TIMEOUT: {
    status: 503,
    title: 'Request timed out',
    slug: 'timeout',
    explanation: 'The computation did not finish within the configured time (LOSSD_REQUEST_TIMEOUT_MS).',
  },
  LOSSD_WORKER_CRASHED: {
    status: 503,
    title: 'Worker crashed',
    slug: 'worker-crashed',
    explanation: 'The worker computing this request died (for example out of memory); it has been replaced.',
  },
  LOSSD_METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'Method not allowed',
    slug: 'method-not-allowed',
    explanation: 'The path exists but does not accept this method; the allow header lists the methods it does accept.',
  },
  LOSSD_UNSUPPORTED_ENCODING: {
    status: 415,
    title: 'Unsupported content encoding',
    slug: 'unsupported-content-encoding',
    explanation:
      'The body is sent with a content-encoding the service does not decode, or with a chain of codings. Send one of gzip, deflate or br (or identity, or none).',
  },
  LOSSD_MALFORMED_ENCODING: {
    status: 400,
    title: 'Malformed content encoding',
    slug: 'malformed-content-encoding',
    explanation: 'The body is not what its content-encoding says: not gzip, deflate or br data, truncated, or corrupt.',
  },
  LOSSD_MALFORMED_URL: {
    status: 400,
    title: 'Malformed URL',
    slug: 'malformed-url',
    explanation: 'The path holds a percent-encoding that does not decode (e.g. %zz, or bytes that are not UTF-8).',
  },
  LOSSD_URI_TOO_LONG: {
    status: 414,
    title: 'URI too long',
    slug: 'uri-too-long',
    explanation: 'The URL, or one parameter in its path (such as a loss name), is longer than the service accepts.',
  },
  LOSSD_HEADERS_TOO_LARGE: {
    status: 431,
    title: 'Request header fields too large',
    slug: 'headers-too-large',
    explanation:
      "The request line and headers together are larger than the server's limit (Node's 16 KiB); the connection is closed.",
  },
  LOSSD_MALFORMED_HTTP: {
    status: 400,
    title: 'Malformed HTTP request',
    slug: 'malformed-http',
    explanation:
      'The request is not valid HTTP/1.1: conflicting or repeated content-length, content-length with transfer-encoding, a bad chunk, or bytes not allowed in a header. The connection is closed.',
  },
  LOSSD_CLIENT_TIMEOUT: {
    status: 408,
    title: 'Request not received in time',
    slug: 'client-timeout',
    explanation:
      'The client did not send its headers, or its whole request, within the time the server waits; the connection is closed.',
  },
  LOSSD_FORBIDDEN: {
    status: 403,
    title: 'Forbidden',
    slug: 'forbidden',
    explanation: 'The path names a file outside what the service serves (e.g. it climbs out of /docs/static).',
  },
  LOSSD_EXPECTATION_FAILED: {
    status: 417,
    title: 'Expectation failed',
    slug: 'expectation-failed',
    explanation: 'The request has an expect header other than "100-continue", the only one the service meets.',
  },
  LOSSD_TOO_MUCH_WORK: {
    status: 413,
    title: 'Too much work',
    slug: 'too-much-work',
    explanation:
      'The request would take more computation than its size allows: a loss whose cost grows faster than its input (iterations times a cost matrix, a dynamic-programming table) is limited to a fixed multiple of the element limit (LOSSD_MAX_ELEMENTS). Send fewer iterations or shorter inputs.',
  },
} satisfies Record<string, ProblemType>);

export type ErrorCode = keyof typeof PROBLEMS;

export interface ProblemIssue {
  readonly path: string;
  readonly message: string;
}

/** A failure as a plain value: what crosses the worker boundary (never an Error object). */
export interface Failure {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors: readonly ProblemIssue[];
}

export function failure(code: ErrorCode, detail: string, errors: readonly ProblemIssue[] = []): Failure {
  return { ok: false, code, detail, errors };
}

export function problemType(code: ErrorCode): string {
  return `/problems/${PROBLEMS[code].slug}`;
}

/** The most bytes a problem body has as JSON, whatever the request held. */
export const PROBLEM_MAX_BYTES = 8192;
/** Errors listed in one problem; the rest are counted in `errors_omitted`. */
export const PROBLEM_MAX_ERRORS = 32;
const DETAIL_CHARS = 1024;
const MESSAGE_CHARS = 256;
/** What detail is cut to when the body is still too large once no error is listed. */
const DETAIL_CHARS_LAST = 200;

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly errors: readonly ProblemIssue[];
  /** How many errors were found beyond those listed. */
  readonly errors_omitted?: number;
  readonly [extra: string]: unknown;
}

const bytesOf = (body: ProblemBody) => Buffer.byteLength(JSON.stringify(body));

/**
 * The RFC 9457 body for a failure, bounded: every problem lossd answers, from any route, the
 * worker, a batch item or a plugin, is built here, so this is where the bound holds. Long
 * messages and paths are cut (…), at most PROBLEM_MAX_ERRORS errors are listed and the rest
 * counted, and the JSON of the whole never exceeds PROBLEM_MAX_BYTES. `extra` is the
 * service's own (never request text).
 */
export function problemBody(f: Omit<Failure, 'ok'>, extra: Record<string, unknown> = {}): ProblemBody {
  const p = PROBLEMS[f.code];
  const total = f.errors.length;
  let listed = f.errors
    .slice(0, PROBLEM_MAX_ERRORS)
    .map((e) => ({ path: cutPointer(e.path), message: cut(e.message, MESSAGE_CHARS) }));
  const build = (detailChars: number): ProblemBody => {
    const omitted = total - listed.length;
    let detail = cut(f.detail, detailChars);
    if (omitted > 0) detail += ` (${total} errors in all; the first ${listed.length} are listed)`;
    return {
      type: problemType(f.code),
      title: p.title,
      status: p.status,
      detail,
      code: f.code,
      errors: listed,
      ...(omitted > 0 ? { errors_omitted: omitted } : {}),
      ...extra,
    };
  };
  let body = build(DETAIL_CHARS);
  // messages of escaped characters (\u0000 is 6 bytes) can still be too large: list fewer
  while (listed.length > 0 && bytesOf(body) > PROBLEM_MAX_BYTES) {
    listed = listed.slice(0, Math.floor(listed.length / 2));
    body = build(DETAIL_CHARS);
  }
  if (bytesOf(body) > PROBLEM_MAX_BYTES) body = build(DETAIL_CHARS_LAST);
  return body;
}

/** The problem body as JSON text (at most PROBLEM_MAX_BYTES bytes). */
export function problemJson(f: Omit<Failure, 'ok'>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify(problemBody(f, extra));
}

/** Escapes one JSON Pointer reference token (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(parts: ReadonlyArray<string | number>): string {
  return parts.map((p) => `/${pointerToken(p)}`).join('');
}
