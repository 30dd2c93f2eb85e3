// POST /v1/batch: items answered in order, each exactly as its single request, and one bad
// item never sinks the others.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, type RunningServer, request, startServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ maxBatchItems: 4, maxElements: 100 });
});
afterAll(async () => server.close());

describe('POST /v1/batch', () => {
  it('answers each item as its single request would, in order, with errors in place', async () => {
    const items = [
      { loss: 'mse', input: [1, 2], target: [0, 0] },
      { loss: 'nope', input: [1] },
      { loss: 'l1_loss', input: [1, 'x'], target: 0 },
      { loss: 'smooth_l1_loss', input: [3], target: [0], reduction: 'sum', encoding: 'flat' },
    ];
    const answer = await postJson(server.url, '/v1/batch', { items });
    expect(answer.status).toBe(200);
    const { results } = answer.body as { results: Array<Record<string, unknown>> };
    expect(results).toHaveLength(4);
    expect(results[0]).toEqual({ loss: 2.5, grad: { input: [1, 2] } });
    expect(results[1]).toMatchObject({
      error: { status: 404, code: 'LOSSD_UNKNOWN_LOSS', errors: [{ path: '/items/1/loss' }] },
    });
    expect(results[2]).toMatchObject({
      error: { status: 400, code: 'LOSSD_INVALID_TENSOR', errors: [{ path: '/items/2/input/1' }] },
    });
    expect(results[3]).toEqual({ loss: 2.5, grad: { input: { shape: [1], data: [1] } } });
    const { loss: _name, ...firstBody } = items[0] as Record<string, unknown>;
    const single = await postJson(server.url, '/v1/losses/mse', firstBody);
    expect(results[0]).toEqual(single.body);
  });

  it('refuses an item with a __proto__ key, as its single request is refused', async () => {
    const body = '{"items": [{"loss": "mse", "input": [1], "target": [0], "__proto__": {"polluted": 1}}]}';
    const answer = await request(`${server.url}/v1/batch`, { body });
    expect(answer.status).toBe(200);
    expect((answer.body as { results: unknown[] }).results[0]).toMatchObject({
      error: { status: 400, errors: [{ path: '/items/0/__proto__' }] },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses more items than the limit with a 413', async () => {
    const items = Array.from({ length: 5 }, () => ({ loss: 'mse', input: [1], target: [0] }));
    const answer = await postJson(server.url, '/v1/batch', { items });
    expect(answer.status).toBe(413);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
  });

  it('refuses more tensor elements in all than the limit with a 413', async () => {
    const items = [
      { loss: 'mse', input: { shape: [60], dtype: 'float64', b64: 'AAAA' }, target: { shape: [60], data: [] } },
    ];
    const answer = await postJson(server.url, '/v1/batch', { items });
    expect(answer.status).toBe(413);
  });

  it('refuses a body that is not {"items": [...]} with a 400 naming the path', async () => {
    const answer = await postJson(server.url, '/v1/batch', { items: [{ input: [1] }], extra: 1 });
    expect(answer.status).toBe(400);
    const paths = (answer.body as { errors: Array<{ path: string }> }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/items/0/loss']));
  });
});

describe('POST /v1/batch with large bodies (parsed in a worker, b64 read from the bytes)', () => {
  let big: RunningServer;
  beforeAll(async () => {
    big = await startServer({ maxElements: 100_000 });
  });
  afterAll(async () => big.close());

  const n = 5000; // 40 KB of float64 per tensor: the body is over 64 KiB
  const values = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
  const b64 = Buffer.from(values.buffer).toString('base64');

  it('answers b64 items exactly as their single requests', async () => {
    const item = { input: { shape: [n], dtype: 'float64', b64 }, target: { shape: [n], dtype: 'float64', b64 } };
    const shifted = { ...item, target: 0, reduction: 'sum', encoding: 'b64' };
    const answer = await postJson(big.url, '/v1/batch', {
      items: [
        { loss: 'mse_loss', ...item },
        { loss: 'l1_loss', ...shifted },
      ],
    });
    expect(answer.status).toBe(200);
    const { results } = answer.body as { results: unknown[] };
    expect(results[0]).toEqual((await postJson(big.url, '/v1/losses/mse_loss', item)).body);
    expect(results[1]).toEqual((await postJson(big.url, '/v1/losses/l1_loss', shifted)).body);
    expect((results[1] as { loss: number }).loss).toBeCloseTo(
      values.reduce((s, v) => s + Math.abs(v), 0),
      9,
    );
  });

  it("reports a bad character in a long b64 value as that item's error", async () => {
    const bad = `${b64.slice(0, 1000)}!${b64.slice(1001)}`;
    const answer = await postJson(big.url, '/v1/batch', {
      items: [
        { loss: 'mse_loss', input: { shape: [n], dtype: 'float64', b64: bad }, target: 0 },
        { loss: 'mse_loss', input: { shape: [n], dtype: 'float64', b64 }, target: 0, grad_wrt: [] },
      ],
    });
    expect(answer.status).toBe(200);
    const { results } = answer.body as { results: Array<Record<string, unknown>> };
    expect(results[0]).toMatchObject({
      error: { status: 400, code: 'LOSSD_INVALID_TENSOR', errors: [{ path: '/items/0/input/b64' }] },
    });
    expect(results[1]).toEqual({ loss: values.reduce((s, v) => s + v * v, 0) / n });
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const answer = await request(`${big.url}/v1/batch`, { body: `{"items": [{"loss": "mse_loss", "input": "${b64}"` });
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ code: 'LOSSD_MALFORMED_JSON' });
  });
});
