// Optional protection of /v1/*: a bearer token and a per-client rate limit, each answered
// with application/problem+json; health, readiness and metrics stay open.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, request, startServer } from '../helpers/server.js';

const body = JSON.stringify({ input: [1, 2], target: [0, 0] });

describe('with LOSSD_API_KEY set', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ apiKey: 's3cret' });
  });
  afterAll(async () => server.close());

  it('refuses a loss request without a token with a 401 problem', async () => {
    const answer = await request(`${server.url}/v1/losses/mse_loss`, { body });
    expect(answer.status).toBe(401);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status: 401, code: 'LOSSD_UNAUTHORIZED', type: '/problems/unauthorized' });
  });

  it('refuses a wrong token', async () => {
    const answer = await request(`${server.url}/v1/losses/mse_loss`, {
      body,
      headers: { authorization: 'Bearer nope' },
    });
    expect(answer.status).toBe(401);
  });

  it('answers with the right token', async () => {
    const answer = await request(`${server.url}/v1/losses/mse_loss`, {
      body,
      headers: { authorization: 'Bearer s3cret' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ loss: 2.5, grad: { input: [1, 2] } });
  });

  it('protects discovery and batch too', async () => {
    expect((await request(`${server.url}/v1/losses`)).status).toBe(401);
    expect((await request(`${server.url}/v1/batch`, { body: '{"items":[]}' })).status).toBe(401);
  });

  it('protects the v2 models, with the protocol’s error member', async () => {
    for (const path of ['/v2/models/mse_loss', '/v2/models/mse_loss/ready', '/v2/models/mse_loss/infer']) {
      const answer = await request(`${server.url}${path}`, path.endsWith('infer') ? { body: '{}' } : {});
      expect(answer.status, path).toBe(401);
      expect(answer.body, path).toMatchObject({ code: 'LOSSD_UNAUTHORIZED', error: expect.any(String) });
    }
  });

  it.each(['/healthz', '/readyz', '/metrics', '/openapi.json', '/v2', '/v2/health/live', '/v2/health/ready'])(
    'leaves %s open',
    async (path) => {
      expect((await request(`${server.url}${path}`)).status).toBe(200);
    },
  );
});

describe('with LOSSD_RATE_LIMIT set', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ rateLimit: 3 });
  });
  afterAll(async () => server.close());

  it('answers 429 problem+json with rate-limit headers past the limit, and keeps ops routes open', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof request>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await request(`${server.url}/v1/losses/mse_loss`, { body });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last?.contentType).toMatch(/^application\/problem\+json/);
    expect(last?.body).toMatchObject({ status: 429, code: 'LOSSD_RATE_LIMITED' });
    expect(last?.headers.get('retry-after')).toBeTruthy();
    expect(last?.headers.get('x-ratelimit-limit')).toBe('3');
    expect((await request(`${server.url}/healthz`)).status).toBe(200);
  });
});
