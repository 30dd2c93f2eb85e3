// An error answer never grows with what it was sent: long keys, names and values are cut (…),
// at most a few dozen errors are listed and the rest counted, every problem body is at most
// 8 KiB, and neither a response header nor a log line carries unbounded request text.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, type RunningServer, request, startServer } from '../helpers/server.js';

/** The bound the README promises: 8 KiB of JSON. */
const PROBLEM_MAX_BYTES = 8192;

const lines: Array<Record<string, unknown>> = [];
let server: RunningServer;
beforeAll(async () => {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  server = await startServer({ bodyLimit: 8 * 1024 * 1024 }, { logger: pino({ level: 'info' }, stream) });
});
afterAll(async () => server.close());

interface Problem {
  status: number;
  detail: string;
  errors: Array<{ path: string; message: string }>;
  errors_omitted?: number;
}

/** The answer as a problem, checked to be one and to be within the bound. */
function bounded(answer: Answer, status: number): Problem {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  expect(Buffer.byteLength(answer.text)).toBeLessThanOrEqual(PROBLEM_MAX_BYTES);
  return answer.body as Problem;
}

const post = (path: string, body: string) => request(`${server.url}${path}`, { body });

/** The first item's problem in a batch answer, checked to be within the bound. */
async function batchItemError(items: string): Promise<Problem> {
  const answer = await post('/v1/batch', `{"items":[${items}]}`);
  expect(answer.status).toBe(200);
  const error = (answer.body as { results: Array<{ error: Problem }> }).results[0]?.error as Problem;
  expect(Buffer.byteLength(JSON.stringify(error))).toBeLessThanOrEqual(PROBLEM_MAX_BYTES);
  return error;
}
const good = '"input":[1,2],"target":[0,0]';

describe('problem bodies are bounded whatever the request held', () => {
  it('cuts a 1 MB key in the detail, the message and the path, keeping the path readable', async () => {
    const key = 'k'.repeat(1 << 20);
    const problem = bounded(await post('/v1/losses/mse_loss', `{${good},"${key}":1}`), 400);
    const [first] = problem.errors;
    expect(first?.path).toMatch(/^\/k{10,}…$/);
    expect(first?.path.length).toBeLessThan(100);
    expect(first?.message).toMatch(/^unknown key "k+…" for mse_loss$/);
    expect(problem.detail.length).toBeLessThan(300);
  });

  it('cuts a long key deep in a path segment by segment, not the structure', async () => {
    const key = 'q'.repeat(100_000);
    const item = await batchItemError(`{"loss":"mse_loss",${good},"${key}":1}`);
    expect(item.errors[0]?.path).toMatch(/^\/items\/0\/q+…$/);
    const nested = bounded(
      await post('/v1/losses/mse_loss', `{"input":{"shape":[1],"data":[1],"${key}":1},"target":0}`),
      400,
    );
    expect(nested.errors[0]?.path).toMatch(/^\/input\/q+…$/);
    expect(nested.errors[0]?.message).toMatch(/^unknown tensor member "q+…"/);
  });

  it('lists at most a few dozen of 20,000 errors and says how many more there were', async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `"unknown_${i}":1`).join(',');
    const problem = bounded(await post('/v1/losses/mse_loss', `{${good},${keys}}`), 400);
    expect(problem.errors.length).toBeGreaterThanOrEqual(10);
    expect(problem.errors.length).toBeLessThanOrEqual(50);
    expect(problem.errors_omitted).toBe(20_000 - problem.errors.length);
    expect(problem.detail).toContain('20000 errors in all');
    expect(problem.errors[0]).toEqual({ path: '/unknown_0', message: 'unknown key "unknown_0" for mse_loss' });
  });

  it('stays within the bound when every character needs escaping, and never splits a surrogate pair', async () => {
    const control = '\u0001'.repeat(50_000);
    const keys = Array.from({ length: 40 }, (_, i) => `"${'\\u0001'.repeat(300)}${i}":1`).join(',');
    bounded(await post('/v1/losses/mse_loss', `{${good},"${control}":1,${keys}}`), 400);
    const emoji = '😀'.repeat(1000);
    const problem = bounded(await post('/v1/losses/mse_loss', `{${good},"${emoji}":1}`), 400);
    expect(problem.errors[0]?.message).toMatch(/^unknown key "(😀)+…"/);
    expect(problem.errors[0]?.message).not.toMatch(/\p{Cs}/u); // no lone surrogate
  });

  it('cuts a long value, loss name and URL', async () => {
    const item = await batchItemError(`{"loss":"${'x'.repeat(1 << 20)}"}`);
    expect(item.detail).toMatch(/^no loss named "x+…"$/);
    const keys = Array.from({ length: 5000 }, (_, i) => `"${'k'.repeat(200)}${i}":1`).join(',');
    const many = await batchItemError(`{"loss":"mse_loss",${good},${keys}}`);
    expect(many.errors_omitted).toBe(5000 - many.errors.length);
    const notFound = bounded(await request(`${server.url}/${'u'.repeat(8000)}`), 404);
    expect(notFound.detail.length).toBeLessThan(200);
    const grad = bounded(await post('/v1/losses/mse_loss', `{${good},"grad_wrt":["${'g'.repeat(1 << 16)}"]}`), 400);
    expect(grad.detail.length).toBeLessThan(200);
  });

  it('echoes and logs a client request id only when it is short and plain', async () => {
    const plain = await request(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-42.a:b' } });
    expect(plain.headers.get('x-request-id')).toBe('trace-42.a:b');
    for (const id of ['r'.repeat(10_000), 'a b', '<script>']) {
      const answer = await request(`${server.url}/healthz`, { headers: { 'x-request-id': id } });
      expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('cuts the URL in the log line', async () => {
    await request(`${server.url}/healthz?${'q'.repeat(8000)}`);
    const logged = lines.filter((l) => l.msg === 'request').map((l) => String(l.url));
    expect(logged.some((u) => u.startsWith('/healthz?qqq'))).toBe(true);
    for (const url of logged) expect(url.length).toBeLessThanOrEqual(260);
    for (const l of lines) expect(String(l.reqId ?? '').length).toBeLessThanOrEqual(128);
  });
});
