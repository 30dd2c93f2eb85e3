// What an operator sees: Prometheus metrics by route, loss and status; a request id on every
// response (an incoming x-request-id is honoured); liveness and readiness.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, type RunningServer, request, startServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server.close());

describe('operations', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await request(`${server.url}/healthz`)).body).toEqual({ status: 'ok' });
    expect((await request(`${server.url}/readyz`)).body).toEqual({ status: 'ready', workers: 2 });
  });

  it('turns /readyz to 503 while draining', async () => {
    server.lifecycle.draining = true;
    try {
      const answer = await request(`${server.url}/readyz`);
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ code: 'LOSSD_SHUTTING_DOWN' });
    } finally {
      server.lifecycle.draining = false;
    }
  });

  it('returns a request id, honouring an incoming x-request-id', async () => {
    const mine = await request(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-42' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-42');
    const fresh = await request(`${server.url}/healthz`);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exports Prometheus metrics by route, loss and status, kernel time, elements, rejections and the pool', async () => {
    await postJson(server.url, '/v1/losses/mse', { input: [1, 2, 3], target: [0, 0, 0] });
    await postJson(server.url, '/v1/losses/mse_loss', { input: [1, 'x'], target: 0 });
    const answer = await request(`${server.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/plain/);
    const text = answer.text;
    expect(text).toMatch(/lossd_http_requests_total\{route="\/v1\/losses\/mse",loss="mse_loss",status="200"\} 1/);
    expect(text).toMatch(
      /lossd_http_request_duration_seconds_bucket\{le="[^"]+",route="\/v1\/losses\/mse",loss="mse_loss",status="200"\}/,
    );
    expect(text).toMatch(/lossd_kernel_duration_seconds_count\{loss="mse_loss"\} 1/);
    expect(text).toMatch(/lossd_tensor_elements_total\{loss="mse_loss"\} 6/);
    expect(text).toMatch(/lossd_rejected_requests_total\{reason="LOSSD_INVALID_TENSOR"\} 1/);
    expect(text).toMatch(/lossd_pool_workers 2/);
    expect(text).toMatch(/lossd_pool_queue_depth 0/);
    expect(text).toMatch(/lossd_pool_utilization_ratio/);
    expect(text).toMatch(/lossd_process_cpu_user_seconds_total/);
  });

  it('logs one line per request, with what it computed, and nothing at warn or above for answered requests', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const logged = await startServer({}, { logger: pino({ level: 'info' }, stream) });
    try {
      await postJson(logged.url, '/v1/losses/mse_loss', { input: [1, 2], target: [0, 0] });
      // large enough to carry a timeout signal, and to be written in pieces
      await postJson(logged.url, '/v1/losses/mse_loss', { input: new Array(20_000).fill(0.1), target: 0 });
      await postJson(logged.url, '/v1/losses/mse_loss', { input: [1, 'x'], target: 0 });
      await postJson(logged.url, '/v1/batch', { items: [{ loss: 'l1_loss', input: [1], target: [0] }] });
      await request(`${logged.url}/healthz`);
    } finally {
      await logged.close();
    }
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.url, l.status])).toEqual([
      ['/v1/losses/mse_loss', 200],
      ['/v1/losses/mse_loss', 200],
      ['/v1/losses/mse_loss', 400],
      ['/v1/batch', 200],
      ['/healthz', 200],
    ]);
    expect(requests[0]).toMatchObject({ loss: 'mse_loss', elements: 4 });
    expect(requests[3]).toMatchObject({ loss: 'batch', elements: 2 });
  });
});
