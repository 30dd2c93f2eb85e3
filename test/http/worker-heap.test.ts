// A request too large for a worker's heap (LOSSD_WORKER_HEAP_MB) through the real HTTP path:
// refused with a 413 problem before the worker parses it (src/pipeline/heap-budget.ts), so the
// process and its workers live on every Node line, and the next requests are answered. The same
// tensors in the binary form, or as nested JSON of plain numbers (read from the body's bytes,
// src/codec/body.ts), never reach the heap and are computed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, type RunningServer, request, startServer } from '../helpers/server.js';

const rows = (n: number) => Array.from({ length: n }, (_, i) => [i / n, 0.5, 1.5, 2.5]);

describe('a worker heap of 64 MB', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ workerHeapMb: 64, workers: 1 });
  });
  afterAll(async () => server.close());

  it('refuses a nested-JSON body whose parse would not fit with 413 problem+json, and answers the next request', async () => {
    // 600,000 rows of four numbers, twice: 36 MB of JSON, far more than 64 MB of heap once
    // parsed; one element a string, so that JSON.parse has to read it (../codec/body.test.ts)
    const input: unknown[][] = rows(600_000);
    (input[7] as unknown[])[2] = 'NaN';
    const answer = await postJson(server.url, '/v1/losses/mse_loss', { input, target: input });
    expect(answer.status).toBe(413);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status: 413, code: 'LOSSD_BODY_TOO_LARGE', errors: [{ path: '' }] });
    expect((answer.body as { detail: string }).detail).toMatch(/heap/);

    const next = await postJson(server.url, '/v1/losses/mse_loss', { input: [3], target: [1] });
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ loss: 4 });
    expect((await request(`${server.url}/healthz`)).status).toBe(200);
  });

  it('refuses one long flat array, whose parse past the limit would abort the whole process', async () => {
    // 15 M small integers and a string: one 120 MB array built inside JSON.parse under a 64 MB
    // heap; without the refusal this aborts the process ("Reached heap limit") on Node 20, 24
    // and 26 alike
    const body = `{"input":[${'1,'.repeat(15_000_000)}"1"],"target":0}`;
    const answer = await request(`${server.url}/v1/losses/mse_loss`, { body });
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ code: 'LOSSD_BODY_TOO_LARGE', errors: [{ path: '' }] });
    const next = await postJson(server.url, '/v1/losses/mse_loss', { input: [3], target: [1] });
    expect(next.status).toBe(200);
  });

  it('computes the same nested-JSON tensors when every element is a number: read from the bytes, outside the heap', async () => {
    const input = rows(600_000);
    const answer = await postJson(server.url, '/v1/losses/mse_loss', { input, target: input, grad_wrt: [] });
    expect(answer.status, answer.text.slice(0, 400)).toBe(200);
    expect(answer.body).toMatchObject({ loss: 0 });
  });

  it('computes a body of the same kind that fits', async () => {
    const input = rows(20_000);
    const answer = await postJson(server.url, '/v1/losses/mse_loss', { input, target: input, reduction: 'sum' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ loss: 0 });
  });

  it('computes the refused tensors sent in the binary form, which the heap limit does not bound', async () => {
    const data = new Float64Array(rows(600_000).flat());
    const tensor = { shape: [600_000, 4], dtype: 'float64', b64: Buffer.from(data.buffer).toString('base64') };
    const answer = await postJson(server.url, '/v1/losses/mse_loss', { input: tensor, target: tensor, grad_wrt: [] });
    expect(answer.status, answer.text.slice(0, 400)).toBe(200);
    expect(answer.body).toMatchObject({ loss: 0 });
  });
});
