// A cheap body that asks for hours of work: beyond the work budget it is refused at once with
// 413; within it but past LOSSD_REQUEST_TIMEOUT_MS the worker is stopped, the request gets a
// clean 503, and the service answers the next request.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORK_PER_ELEMENT } from '../../src/pipeline/run-loss.js';
import { postJson, type RunningServer, startServer } from '../helpers/server.js';

/** A cost matrix (n, m) in the binary form, so that the body stays small. */
function costs(n: number, m: number) {
  const data = new Float64Array(n * m);
  for (let q = 0; q < data.length; q++) data[q] = ((q * 7919) % 1000) / 1000;
  return { shape: [n, m], dtype: 'float64', b64: Buffer.from(data.buffer).toString('base64') };
}

describe('a request whose work outgrows its size', () => {
  // a budget of 16 × 64 Mi steps (about ten seconds of one worker), a limit of one second
  const maxElements = 1 << 26;
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ maxElements, requestTimeoutMs: 1000 });
    // both workers loaded before the clock matters
    await Promise.all([0, 1].map(() => postJson(server.url, '/v1/losses/sinkhorn_loss', { M: [[0.5]] })));
  });
  afterAll(async () => server.close());

  const budget = WORK_PER_ELEMENT * maxElements;

  it('is refused at once with 413 problem+json naming /numItermax when beyond the work budget', async () => {
    // 40,000 elements and 10,000 iterations: ~2.5e9 steps, a body of 320 kB
    const answer = await postJson(server.url, '/v1/losses/sinkhorn_loss', { M: costs(200, 200), numItermax: 10_000 });
    expect(answer.status).toBe(413);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({
      status: 413,
      code: 'LOSSD_TOO_MUCH_WORK',
      type: '/problems/too-much-work',
      errors: [{ path: '/numItermax' }],
    });
  });

  it('times out cleanly with 503 when allowed but slower than the limit, and the next request is answered', async () => {
    // as many iterations as the budget allows on a 200 × 200 matrix: seconds of work, 1 s allowed
    const n = 200;
    const numItermax = Math.floor(budget / (6 * n * n + 16 * 2 * n));
    const slow = await postJson(server.url, '/v1/losses/sinkhorn_loss', { M: costs(n, n), numItermax });
    expect(slow.status).toBe(503);
    expect(slow.contentType).toMatch(/^application\/problem\+json/);
    expect(slow.body).toMatchObject({ status: 503, code: 'LOSSD_TIMEOUT' });
    const next = await postJson(server.url, '/v1/losses/sinkhorn_loss', { M: [[0.5]] });
    expect(next.status).toBe(200);
    expect(next.body).toEqual({ loss: 0.5, grad: { M: [[1]] } });
  });
});
