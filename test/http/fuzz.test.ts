// Hostile input: random JSON and mutated golden requests thrown at every loss route, plain or
// content-encoded (honestly, truncated or lying), and bodies with long and many keys. Whatever
// arrives, the answer is never a 5xx, errors are problem+json of at most 8 KiB, and a good
// request right after is answered correctly.

import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOSSES } from '../../src/registry/index.js';
import { loadGolden } from '../helpers/golden.js';
import { postJson, type RunningServer, request, startServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ maxElements: 100_000, bodyLimit: 1 << 20 });
});
afterAll(async () => server.close());

const names = LOSSES.flatMap((l) => [l.name, ...l.aliases]);
const requests = loadGolden().flatMap((g) => g.cases.map((c) => ({ loss: c.loss ?? g.loss, body: c.request })));

/** The bound every problem body keeps, whatever the request held (README). */
const PROBLEM_MAX_BYTES = 8192;

async function expectSafe(path: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const answer = await request(`${server.url}${path}`, { body, headers });
  const what = `${path} ${JSON.stringify(headers)} ${String(body).slice(0, 200)}`;
  expect(answer.status, what).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(Buffer.byteLength(answer.text), what).toBeLessThanOrEqual(PROBLEM_MAX_BYTES);
  } else if (path === '/v1/batch') {
    for (const item of (answer.body as { results: Array<{ error?: unknown }> }).results) {
      if (item.error) expect(Buffer.byteLength(JSON.stringify(item.error))).toBeLessThanOrEqual(PROBLEM_MAX_BYTES);
    }
  }
  return answer;
}

async function expectGoodAnswer() {
  const answer = await postJson(server.url, '/v1/losses/mse_loss', { input: [1, 2, 3], target: [1, 2, 5] });
  expect(answer.body).toEqual({ loss: 4 / 3, grad: { input: [0, 0, -4 / 3] } });
}

/** A JSON value to put somewhere unexpected: anything JSON can say, plus tensor-shaped traps. */
const hostile = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({
    shape: fc.array(fc.integer({ min: -3, max: 1e9 }), { maxLength: 10 }),
    data: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 5 }),
  }),
  fc.record({
    shape: fc.array(fc.nat(5), { maxLength: 4 }),
    dtype: fc.constantFrom('float32', 'float64', 'int32', 'int64', 'int8'),
    b64: fc.base64String({ maxLength: 64 }),
  }),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', null, [], [[]], [[1], 2], 1e308, -0, 2 ** 31, -(2 ** 31) - 1, 1.5),
  // empty tensors that declare huge dimensions (a kernel may size buffers by one)
  fc.constantFrom(
    { shape: [0, 1e15], data: [] },
    { shape: [2 ** 40, 0], data: [] },
    { shape: [0, 2 ** 31], dtype: 'float32', b64: '' },
  ),
);

describe('hostile input never produces a 5xx', () => {
  it('random JSON bodies, on every loss route', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.jsonValue({ maxDepth: 5 }), async (name, body) => {
        await expectSafe(`/v1/losses/${name}`, JSON.stringify(body));
      }),
      { numRuns: 300 },
    );
    await expectGoodAnswer();
  });

  it('golden requests with one key removed, replaced or added', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...requests),
        fc.nat(),
        hostile,
        fc.constantFrom('delete', 'replace', 'add'),
        async (golden, pick, value, how) => {
          const body: Record<string, unknown> = { ...golden.body };
          const keys = Object.keys(body);
          const key = keys[pick % Math.max(keys.length, 1)] ?? 'input';
          if (how === 'delete') delete body[key];
          else if (how === 'replace') body[key] = value;
          else body[`${key}_x`] = value;
          await expectSafe(`/v1/losses/${golden.loss}`, JSON.stringify(body));
        },
      ),
      { numRuns: 600 },
    );
    await expectGoodAnswer();
  });

  it('options and grad_output swapped for random values', async () => {
    const optionKeys = [
      'reduction',
      'beta',
      'delta',
      'margin',
      'ignore_index',
      'label_smoothing',
      'log_target',
      'p',
      'eps',
      'blank',
      'grad_wrt',
      'grad_output',
      'encoding',
      'dtype',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...requests),
        fc.constantFrom(...optionKeys),
        hostile,
        async (golden, key, value) => {
          await expectSafe(`/v1/losses/${golden.loss}`, JSON.stringify({ ...golden.body, [key]: value }));
        },
      ),
      { numRuns: 400 },
    );
    await expectGoodAnswer();
  });

  it('bytes that are not JSON, and batches of hostile items', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const answer = await request(`${server.url}/v1/losses/cross_entropy`, { body: bytes });
        expect(answer.status).toBe(400);
      }),
      { numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...requests), hostile), { maxLength: 5 }), async (items) => {
        const body = {
          items: items.map(([g, v], i) =>
            i % 2 ? { loss: g.loss, ...g.body, input: v } : { loss: g.loss, ...g.body },
          ),
        };
        await expectSafe('/v1/batch', JSON.stringify(body));
      }),
      { numRuns: 100 },
    );
    await expectGoodAnswer();
  });

  const encoders: Record<string, (b: Buffer) => Buffer> = {
    gzip: (b) => gzipSync(b),
    deflate: (b) => deflateSync(b),
    'deflate (raw)': (b) => deflateRawSync(b),
    br: (b) => brotliCompressSync(b),
    identity: (b) => b,
  };
  const headerOf = (coding: string) => coding.replace(' (raw)', '');

  it('content-encoded bodies: honest ones answer as the plain body does; truncated and lying ones are 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...requests),
        fc.constantFrom(...Object.keys(encoders)),
        fc.constantFrom(...Object.keys(encoders), 'zstd', 'gzip, br', 'GZIP'),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
        async (golden, coding, claimed, truncateAt) => {
          const plainText = JSON.stringify(golden.body);
          const encoded = (encoders[coding] as (b: Buffer) => Buffer)(Buffer.from(plainText));
          const bytes =
            truncateAt === undefined ? encoded : encoded.subarray(0, Math.floor(encoded.length * truncateAt));
          const path = `/v1/losses/${golden.loss}`;
          const answer = await expectSafe(path, bytes, { 'content-encoding': claimed });
          const honest = headerOf(coding) === claimed.toLowerCase() && truncateAt === undefined;
          if (honest) {
            const plain = await request(`${server.url}${path}`, { body: plainText });
            expect(answer.status).toBe(plain.status);
            expect(answer.text).toBe(plain.text);
          } else if (claimed === 'zstd' || claimed === 'gzip, br') {
            expect(answer.status).toBe(415);
          } else if (headerOf(coding) !== claimed.toLowerCase() && claimed !== 'identity') {
            // bytes that are not what the header says: never computed as something else
            expect(answer.status).toBeGreaterThanOrEqual(400);
          }
        },
      ),
      { numRuns: 300 },
    );
    await expectGoodAnswer();
  });

  it('random bytes claiming each coding are a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('gzip', 'deflate', 'br'),
        async (bytes, coding) => {
          const answer = await expectSafe('/v1/losses/mse_loss', bytes, { 'content-encoding': coding });
          expect(answer.status).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 200 },
    );
    await expectGoodAnswer();
  });

  it('long keys, many keys and long values keep every problem within the bound', async () => {
    const key = fc.oneof(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.string({ unit: 'binary', minLength: 500, maxLength: 5000 }),
      fc.nat(200_000).map((n) => 'k'.repeat(n + 1)),
      fc.nat(20_000).map((n) => '\u0000~/😀'.repeat(n + 1)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...requests),
        fc.array(key, { minLength: 1, maxLength: 5 }),
        fc.nat(3000),
        fc.boolean(),
        async (golden, keys, extra, inBatch) => {
          const body: Record<string, unknown> = { ...golden.body };
          for (const k of keys) body[k] = k;
          for (let i = 0; i < extra; i++) body[`x${i}`] = i;
          if (inBatch) await expectSafe('/v1/batch', JSON.stringify({ items: [{ loss: golden.loss, ...body }] }));
          else await expectSafe(`/v1/losses/${golden.loss}`, JSON.stringify(body));
        },
      ),
      { numRuns: 150 },
    );
    await expectGoodAnswer();
  });
});
