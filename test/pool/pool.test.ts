// The worker pool: bytes move between threads instead of being copied, failures come back as
// values, a full queue is refused at once, a slow task is stopped, and a dead worker is replaced.

import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type LossPool } from '../../src/pool/pool.js';
import { WORKER_FILE } from '../helpers/server.js';

let pool: LossPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

function open(options: Partial<Parameters<typeof createPool>[0]> = {}): LossPool {
  pool = createPool({ workers: 1, maxQueue: 8, workerHeapMb: 512, workerFile: WORKER_FILE, ...options });
  return pool;
}

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const decode = (u: Uint8Array) => JSON.parse(new TextDecoder().decode(u));
const EXHAUSTING_WORKER = new URL('./fixtures/exhausting-worker.cjs', import.meta.url);

describe('the worker pool', () => {
  it('transfers the request bytes to the worker (the sender’s buffer is detached) and gets JSON back', async () => {
    const p = open();
    const body = bytes({ input: [1, 2], target: [0, 0] });
    const reply = await p.run({ kind: 'loss', loss: 'mse_loss', body, maxElements: 100 }, 10_000);
    expect(body.buffer.byteLength).toBe(0);
    expect(reply.ok).toBe(true);
    if (reply.ok) {
      expect(decode(reply.body)).toEqual({ loss: 2.5, grad: { input: [1, 2] } });
      expect(reply.loss).toBe('mse_loss');
      expect(reply.elements).toBe(4);
    }
  });

  it('returns failures as plain values with their code and path', async () => {
    const p = open();
    const reply = await p.run(
      { kind: 'loss', loss: 'mse_loss', body: bytes({ input: [1, 'x'], target: 1 }), maxElements: 100 },
      10_000,
    );
    expect(reply).toMatchObject({ ok: false, code: 'LOSSD_INVALID_TENSOR', errors: [{ path: '/input/1' }] });
  });

  it('never queues a small request behind a large one: the other worker answers it', async () => {
    const p = open({ workers: 2, maxQueue: 64 });
    const large = bytes({
      input: { shape: [2_000_000], dtype: 'float64', b64: Buffer.alloc(16_000_000).toString('base64') },
      target: 0,
      reduction: 'none',
    });
    const order: string[] = [];
    const big = p.run({ kind: 'loss', loss: 'mse_loss', body: large, maxElements: 1e8 }, 60_000);
    void big.then(() => order.push('large'));
    const small = Array.from({ length: 20 }, (_, i) =>
      p
        .run({ kind: 'loss', loss: 'mse_loss', body: bytes({ input: [i], target: [0] }), maxElements: 10 }, 10_000)
        .then((r) => {
          order.push('small');
          return r;
        }),
    );
    const replies = await Promise.all(small);
    expect(replies.filter((r) => !r.ok)).toEqual([]);
    expect(await big).toMatchObject({ ok: true });
    expect(order.indexOf('large')).toBe(20);
  });

  it('refuses work at once when the queue is full, without losing the queued tasks', async () => {
    const p = open({ maxQueue: 1 });
    const slow = bytes({
      input: { shape: [2_000_000], dtype: 'float64', b64: Buffer.alloc(16_000_000).toString('base64') },
      target: 0,
    });
    const tasks = Array.from({ length: 10 }, () =>
      p.run({ kind: 'loss', loss: 'mse_loss', body: slow.slice(), maxElements: 1e8 }, 60_000),
    );
    const replies = await Promise.all(tasks);
    expect(replies.filter((r) => !r.ok && r.code !== 'LOSSD_OVERLOADED')).toEqual([]);
    const refused = replies.filter((r) => !r.ok && r.code === 'LOSSD_OVERLOADED');
    expect(refused.length).toBeGreaterThan(0);
    expect(replies.filter((r) => r.ok).length).toBe(10 - refused.length);
  });

  it('refuses a body that would take the bytes waiting for the pool past their limit', async () => {
    const p = open({ maxQueuedBytes: 30_000_000 });
    const slow = bytes({
      input: { shape: [2_000_000], dtype: 'float64', b64: Buffer.alloc(16_000_000).toString('base64') },
      target: 0,
    });
    const first = p.run({ kind: 'loss', loss: 'mse_loss', body: slow.slice(), maxElements: 1e8 }, 60_000);
    const second = await p.run({ kind: 'loss', loss: 'mse_loss', body: slow.slice(), maxElements: 1e8 }, 60_000);
    expect(second).toMatchObject({ ok: false, code: 'LOSSD_OVERLOADED' });
    expect((await first).ok).toBe(true);
    const after = await p.run({ kind: 'loss', loss: 'mse_loss', body: slow.slice(), maxElements: 1e8 }, 60_000);
    expect(after.ok).toBe(true);
  });

  it('stops a computation that runs past its time limit', async () => {
    const p = open();
    const big = {
      input: { shape: [8_000_000], dtype: 'float64', b64: Buffer.alloc(64_000_000).toString('base64') },
      target: 0,
    };
    const reply = await p.run({ kind: 'loss', loss: 'mse_loss', body: bytes(big), maxElements: 1e8 }, 1);
    expect(reply).toMatchObject({ ok: false, code: 'LOSSD_TIMEOUT' });
    expect(await p.ping(5_000)).toBe(true);
  });

  it('replaces a worker that dies of its heap limit and answers the next task', async () => {
    const p = open({ workerHeapMb: 16, workerFile: EXHAUSTING_WORKER });
    const reply = await p.run({ kind: 'loss', loss: 'exhaust-heap', body: bytes({}), maxElements: 100 }, 60_000);
    expect(reply).toMatchObject({ ok: false, code: 'LOSSD_WORKER_CRASHED' });
    if (!reply.ok) expect(reply.detail).toMatch(/out of memory/i);
    const next = await p.run(
      { kind: 'loss', loss: 'mse_loss', body: bytes({ input: [3], target: [1] }), maxElements: 100 },
      10_000,
    );
    expect(next.ok).toBe(true);
  });

  it('refuses a body whose parse would not fit in the worker heap, before parsing it, and stays up', async () => {
    // 3 M numbers as JSON text: about 60 MB of heap once parsed, under a 16 MB limit; the last
    // element a string, so that JSON.parse has to read the array
    const p = open({ workerHeapMb: 16 });
    const huge = new TextEncoder().encode(`{"input":[${'1.5,'.repeat(3_000_000)}"NaN"],"target":0}`);
    const reply = await p.run({ kind: 'loss', loss: 'mse_loss', body: huge, maxElements: 1e8 }, 60_000);
    expect(reply.ok).toBe(false);
    expect(reply.ok ? null : { code: reply.code, errors: reply.errors }).toEqual({
      code: 'LOSSD_BODY_TOO_LARGE',
      errors: [{ path: '', message: 'too large to parse within the worker heap' }],
    });
    const next = await p.run(
      { kind: 'loss', loss: 'mse_loss', body: bytes({ input: [3], target: [1] }), maxElements: 100 },
      10_000,
    );
    expect(next.ok).toBe(true);
  });

  it('reads the same numbers from the bytes, outside the heap, when nothing needs JSON.parse', async () => {
    const p = open({ workerHeapMb: 16 });
    const huge = new TextEncoder().encode(`{"input":[${'1.5,'.repeat(3_000_000)}1],"target":0,"reduction":"sum"}`);
    const reply = await p.run({ kind: 'loss', loss: 'mse_loss', body: huge, maxElements: 1e8 }, 60_000);
    expect(reply.ok).toBe(true);
    // the loss, then the gradient (3 M numbers: 3 and a last 2)
    const text = reply.ok ? Buffer.from(reply.body).toString('latin1') : '';
    expect(text).toBe(`{"loss":6750001,"grad":{"input":[${'3,'.repeat(3_000_000)}2]}}`);
  });

  it('answers a readiness ping', async () => {
    expect(await open().ping(5_000)).toBe(true);
  });
});
