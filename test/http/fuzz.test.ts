// Hostile input: random JSON and mutated golden requests thrown at every loss route. Whatever
// arrives, the answer is never a 5xx, errors are problem+json, and a good request right after
// is answered correctly.

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

async function expectSafe(path: string, body: string) {
  const answer = await request(`${server.url}${path}`, { body });
  expect(answer.status, `${path} ${body.slice(0, 200)}`).toBeLessThan(500);
  if (answer.status >= 400) expect(answer.contentType).toMatch(/^application\/problem\+json/);
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
});
