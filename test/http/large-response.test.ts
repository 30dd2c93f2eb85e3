// A large response is written by two workers when the pool is otherwise idle (src/pool/worker.ts
// lends the other worker half of each large tensor); the parts travel back in their own buffers
// and are sent in order, none copied into another. The client must get exactly the bytes one
// worker alone writes, with a content-length that says so, in every encoding that is split.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../src/pool/worker.js';
import { type RunningServer, request, startServer } from '../helpers/server.js';

const rows = (n: number, m: number, f: (i: number, j: number) => number) =>
  Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => f(i, j)));

describe('a large response written by two workers', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ workers: 2 });
  });
  afterAll(async () => server.close());

  const input = rows(600, 600, (i, j) => Math.sin(i * 600 + j) * 3);
  const target = rows(600, 600, (i, j) => Math.cos(i + j));
  const cases: [string, Record<string, unknown>][] = [
    ['nested gradient', { input, target }],
    ['nested loss and gradient (reduction none)', { input, target, reduction: 'none' }],
    ['flat encoding, both gradients', { input, target, encoding: 'flat', grad_wrt: ['input', 'target'] }],
    ['float32', { input, target, dtype: 'float32', reduction: 'none' }],
  ];

  it("comes back from the pool in parts: the other worker's half is not copied into the first", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ input, target }));
    const reply = await server.pool.run({ kind: 'loss', loss: 'mse_loss', body: bytes, maxElements: 1e8 }, 60_000);
    expect(reply.ok).toBe(true);
    expect(reply.ok ? reply.parts?.length : 0).toBe(2);
  });

  it.each(cases)('%s: the bytes one worker writes, with their length', async (_name, body) => {
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    expect(bytes.length).toBeGreaterThan(4 * 1024 * 1024);
    const alone = runTask({ kind: 'loss', loss: 'mse_loss', body: bytes.slice(), maxElements: 1e8 });
    expect(alone.ok).toBe(true);
    const want = alone.ok ? Buffer.from(alone.body).toString('utf8') : '';

    const answer = await request(`${server.url}/v1/losses/mse_loss`, { body: Buffer.from(bytes).toString('utf8') });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(want)));
    expect(answer.text).toBe(want);
  });
});
