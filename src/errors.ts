// Every problem lossd can answer with, in one append-only table (RFC 9457 problem types).
// A code is never reused or renumbered; add new ones at the end. `type` is a relative URI
// that the service itself resolves (GET /problems/{slug}) to the explanation below.

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
    explanation: 'The body is larger than the configured byte limit (LOSSD_BODY_LIMIT).',
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
    explanation: 'The path exists but does not accept this method.',
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

/** The RFC 9457 body for a failure. */
export function problemBody(f: Omit<Failure, 'ok'>, extra: Record<string, unknown> = {}) {
  const p = PROBLEMS[f.code];
  return {
    type: problemType(f.code),
    title: p.title,
    status: p.status,
    detail: f.detail,
    code: f.code,
    errors: f.errors,
    ...extra,
  };
}

/** Escapes one JSON Pointer reference token (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(parts: ReadonlyArray<string | number>): string {
  return parts.map((p) => `/${pointerToken(p)}`).join('');
}
