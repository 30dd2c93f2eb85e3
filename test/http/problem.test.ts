// Every answer with a status of 400 or more is application/problem+json from the one error
// table, whoever raises it: the router (a bad percent-encoding, an over-long parameter, a
// method the path does not take), the content-type parser, the body reader, the plugins
// (bearer auth, rate limit, the docs' static files) and Node's HTTP parser (bad framing,
// headers too large, a client too slow), with the right status.

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponses, type RawAnswer, rawExchange, rawRequest } from '../helpers/raw.js';
import { type RunningServer, request, startServer } from '../helpers/server.js';

let server: RunningServer;
let guarded: RunningServer;
beforeAll(async () => {
  server = await startServer({ bodyLimit: 64 * 1024 });
  guarded = await startServer({ apiKey: 's3cret', rateLimit: 1 });
});
afterAll(async () => {
  await server.close();
  await guarded.close();
});

const json = 'content-type: application/json\r\n';
const good = '{"input":[1,2],"target":[0,0]}';

/** A request with `head` lines (each ending in \r\n) and a body with its content-length. */
function http(method: string, path: string, head = '', body?: string | Buffer): string | Buffer {
  const length = body === undefined ? '' : `content-length: ${Buffer.byteLength(body)}\r\n`;
  const start = `${method} ${path} HTTP/1.1\r\nhost: x\r\n${head}${length}connection: close\r\n\r\n`;
  return body === undefined ? start : Buffer.concat([Buffer.from(start), Buffer.from(body)]);
}

const cases: Array<[string, string | Buffer, number]> = [
  ['a malformed percent-encoding (FST_ERR_BAD_URL)', http('GET', '/v1/losses/%zz'), 400],
  ['percent-encoded bytes that are not UTF-8', http('POST', '/v1/losses/%E0%A4%A', json, good), 400],
  [
    'an over-long path parameter (FST_ERR_MAX_PARAM_LENGTH)',
    http('POST', `/v1/losses/${'a'.repeat(200)}`, json, good),
    414,
  ],
  ['an over-long problem slug', http('GET', `/problems/${'x'.repeat(5000)}`), 414],
  ['a URL over 8 KiB', http('GET', `/healthz?${'q'.repeat(9000)}`), 414],
  ['a request line over 16 KiB (Node)', http('GET', `/${'a'.repeat(20_000)}`), 431],
  ['a header over 16 KiB (Node)', http('GET', '/healthz', `x-big: ${'b'.repeat(20_000)}\r\n`), 431],
  [
    '3000 headers (Node)',
    http('GET', '/healthz', Array.from({ length: 3000 }, (_, i) => `x-h${i}: 1\r\n`).join('')),
    431,
  ],
  ['PUT on a POST route', http('PUT', '/v1/batch', json, good), 405],
  ['GET on a POST route', http('GET', '/v1/batch'), 405],
  ['DELETE on a GET route', http('DELETE', '/healthz'), 405],
  ['POST on a GET route', http('POST', '/healthz', json, good), 405],
  ['TRACE', http('TRACE', '/healthz'), 405],
  ['OPTIONS', http('OPTIONS', '/v1/losses/mse_loss'), 405],
  ['CONNECT', 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nhost: 127.0.0.1:443\r\n\r\n', 405],
  ['an unknown path', http('GET', '/v2/anything'), 404],
  ['an unknown loss', http('POST', '/v1/losses/nope', json, good), 404],
  ['a missing static file of the docs', http('GET', '/docs/static/nope.js'), 404],
  ['a path that climbs out of the docs', http('GET', '/docs/static/%2e%2e/%2e%2e/package.json'), 403],
  ['an unknown problem type', http('GET', '/problems/nope'), 404],
  ['text/plain', http('POST', '/v1/losses/mse_loss', 'content-type: text/plain\r\n', good), 415],
  ['no content-type', http('POST', '/v1/losses/mse_loss', '', good), 415],
  ['an unknown content-encoding', http('POST', '/v1/losses/mse_loss', `${json}content-encoding: zstd\r\n`, good), 415],
  [
    'a chain of content-encodings',
    http('POST', '/v1/losses/mse_loss', `${json}content-encoding: gzip, br\r\n`, gzipSync(good)),
    415,
  ],
  ['plain JSON that claims gzip', http('POST', '/v1/losses/mse_loss', `${json}content-encoding: gzip\r\n`, good), 400],
  ['a declared length over the limit', http('POST', '/v1/losses/mse_loss', `${json}content-length: 99999999\r\n`), 413],
  [
    'a body over the limit',
    http('POST', '/v1/losses/mse_loss', json, `{"input":[${'1,'.repeat(40_000)}1],"target":0}`),
    413,
  ],
  ['an empty JSON body', http('POST', '/v1/losses/mse_loss', json, ''), 400],
  ['malformed JSON', http('POST', '/v1/batch', json, '{"items":'), 400],
  [
    'content-length and transfer-encoding together (smuggling)',
    `POST /v1/losses/mse_loss HTTP/1.1\r\nhost: x\r\n${json}content-length: 4\r\ntransfer-encoding: chunked\r\n\r\n${good.length.toString(16)}\r\n${good}\r\n0\r\n\r\n`,
    400,
  ],
  [
    'two different content-lengths',
    `POST /v1/losses/mse_loss HTTP/1.1\r\nhost: x\r\n${json}content-length: ${good.length}\r\ncontent-length: 3\r\n\r\n${good}`,
    400,
  ],
  [
    'a chunk size that is not hex',
    `POST /v1/losses/mse_loss HTTP/1.1\r\nhost: x\r\n${json}transfer-encoding: chunked\r\n\r\nzz\r\n${good}\r\n0\r\n\r\n`,
    400,
  ],
  [
    'transfer-encoding other than chunked',
    http('POST', '/v1/losses/mse_loss', `${json}transfer-encoding: gzip\r\n`, good),
    400,
  ],
  [
    'a content-length that is not a number',
    `POST /v1/losses/mse_loss HTTP/1.1\r\nhost: x\r\n${json}content-length: 1e3\r\n\r\n${good}`,
    400,
  ],
  ['a control character in a header value', http('GET', '/healthz', 'x-a: a\u0001b\r\n'), 400],
  ['a request that is not HTTP', 'HELLO\r\n\r\n', 400],
  ['a bare LF line ending', 'GET /healthz HTTP/1.1\nhost: x\n\n', 400],
  ['no host header (HTTP/1.1)', 'GET /healthz HTTP/1.1\r\nconnection: close\r\n\r\n', 400],
  [
    'an expectation other than 100-continue',
    http('POST', '/v1/losses/mse_loss', `${json}expect: 200-ok\r\n`, good),
    417,
  ],
  [
    '100-continue with a declared body over the limit (refused before it is sent)',
    http('POST', '/v1/losses/mse_loss', `${json}expect: 100-continue\r\ncontent-length: 99999999\r\n`),
    413,
  ],
];

const guardedCases: Array<[string, string | Buffer, number]> = [
  ['no bearer token (bearer-auth)', http('POST', '/v1/losses/mse_loss', json, good), 401],
  ['a wrong bearer token', http('POST', '/v1/losses/mse_loss', `${json}authorization: Bearer no\r\n`, good), 401],
];

/** Checks a problem answer: its media type, its status, its bound, and that its type resolves. */
async function expectProblem(base: string, answer: RawAnswer | undefined, status: number) {
  expect(answer, 'an answer').toBeDefined();
  if (!answer) return;
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Buffer.byteLength(answer.body)).toBeLessThanOrEqual(8192);
  const problem = JSON.parse(answer.body) as { type: string; status: number; code: string; detail: string };
  expect(problem.status).toBe(status);
  expect(problem.code).toMatch(/^LOSSD_[A-Z_]+$/);
  expect(problem.type).toMatch(/^\/problems\/[a-z-]+$/);
  const explained = await request(`${base}${problem.type}`);
  expect(explained.status).toBe(200);
  expect(explained.body).toMatchObject({ status, code: problem.code });
  if (status === 405) expect(answer.headers.allow).toMatch(/^[A-Z, ]+$/);
}

describe('every error, whoever raises it, is a problem from the one table', () => {
  it.each(cases)('%s', async (_what, text, status) => {
    await expectProblem(server.url, await rawRequest(server.url, text), status);
  });

  it.each(guardedCases)('%s', async (_what, text, status) => {
    await expectProblem(guarded.url, await rawRequest(guarded.url, text), status);
  });

  it('a request past the rate limit (rate-limit)', async () => {
    const auth = `${json}authorization: Bearer s3cret\r\n`;
    const first = await rawRequest(guarded.url, http('POST', '/v1/losses/mse_loss', auth, good));
    expect(first?.status).toBe(200);
    await expectProblem(
      guarded.url,
      await rawRequest(guarded.url, http('POST', '/v1/losses/mse_loss', auth, good)),
      429,
    );
  });

  it('meets expect: 100-continue for a body within the limit', async () => {
    const { text } = await rawExchange(server.url, [
      http('POST', '/v1/losses/mse_loss', `${json}expect: 100-continue\r\n`, good),
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });

  it('names the methods a path takes in allow', async () => {
    expect((await rawRequest(server.url, http('PUT', '/v1/batch')))?.headers.allow).toBe('POST');
    expect((await rawRequest(server.url, http('DELETE', '/healthz')))?.headers.allow).toBe('GET, HEAD');
    expect((await rawRequest(server.url, http('PATCH', '/v1/losses/mse_loss')))?.headers.allow).toBe('GET, HEAD, POST');
  });

  it('answers a bad request pipelined after a good one with the good answer, then a problem, then closes', async () => {
    const pipelined = [
      http('GET', '/healthz').toString().replace('connection: close\r\n', ''),
      'GET /healthz HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n',
    ].join('');
    const { text, closed } = await rawExchange(server.url, [pipelined]);
    const answers = parseResponses(text);
    expect(closed).toBe(true);
    expect(answers[0]?.status).toBe(200);
    await expectProblem(server.url, answers[1], 400);
    expect(answers).toHaveLength(2);
  });
});

describe('slow clients', () => {
  let slow: RunningServer;
  beforeAll(async () => {
    slow = await startServer({}, { timeouts: { headers: 500, request: 1500 } });
  });
  afterAll(async () => slow.close());

  it('a client that never finishes its headers gets a 408 problem and is cut off', async () => {
    const { text, closed, ms } = await rawExchange(slow.url, ['GET /healthz HTTP/1.1\r\nhost: x\r\n'], {
      waitMs: 5000,
    });
    expect(closed).toBe(true);
    expect(ms).toBeLessThan(4000);
    await expectProblem(slow.url, parseResponses(text)[0], 408);
  });

  it('a client that trickles its body gets a 408 problem and is cut off', async () => {
    const head = `POST /v1/losses/mse_loss HTTP/1.1\r\nhost: x\r\n${json}content-length: 1000\r\n\r\n`;
    const drip = Array.from({ length: 40 }, () => ' ');
    const { text, closed, ms } = await rawExchange(slow.url, [head, ...drip], { waitMs: 8000, pauseMs: 100 });
    expect(closed).toBe(true);
    expect(ms).toBeLessThan(6000);
    const answer = parseResponses(text)[0];
    expect(answer?.status).toBe(408);
    await expectProblem(slow.url, answer, 408);
    expect((await request(`${slow.url}/healthz`)).status).toBe(200);
  });
});
