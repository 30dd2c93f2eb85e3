// Bad input over a real socket: each is a 4xx application/problem+json naming the offending
// JSON Pointer, and the very next good request on the same server is answered correctly.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postChunked, postJson, type RunningServer, request, startServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ bodyLimit: 64 * 1024, maxElements: 1000 });
});
afterAll(async () => {
  await server.close();
});

const good = { input: [1, 2, 3], target: [1, 2, 5] };

async function expectGoodRequestStillAnswered() {
  const answer = await postJson(server.url, '/v1/losses/mse_loss', good);
  expect(answer.status).toBe(200);
  expect(answer.body).toEqual({ loss: 4 / 3, grad: { input: [0, 0, -4 / 3] } });
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: Array<{ path: string; message: string }>;
}

function expectProblem(answer: { status: number; contentType: string; body: unknown }, status: number, path?: string) {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  const problem = answer.body as Problem;
  expect(problem.status).toBe(status);
  expect(problem.type).toMatch(/^\/problems\//);
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  expect(Array.isArray(problem.errors)).toBe(true);
  if (path !== undefined) expect(problem.errors.map((e) => e.path)).toContain(path);
  return problem;
}

const cases: Array<[string, string, unknown, number, string]> = [
  ['a body that is not an object', 'mse_loss', [1, 2], 400, ''],
  ['an unknown key (a typo is never ignored)', 'mse_loss', { ...good, reductoin: 'sum' }, 400, '/reductoin'],
  ["an option of another loss ('beta' on mse_loss)", 'mse_loss', { ...good, beta: 1 }, 400, '/beta'],
  ['a missing required argument', 'mse_loss', { input: [1] }, 400, '/target'],
  ['ragged nesting', 'mse_loss', { input: [[1, 2], [3]], target: 1 }, 400, '/input/1'],
  ['a non-number element', 'mse_loss', { input: [1, 'one'], target: 1 }, 400, '/input/1'],
  ['a non-finite spelling that API.md does not allow', 'mse_loss', { input: [1, 'nan'], target: 1 }, 400, '/input/1'],
  ['null where a tensor is expected', 'mse_loss', { input: null, target: 1 }, 400, '/input'],
  [
    'a flat tensor whose data does not fill its shape',
    'mse_loss',
    { input: { shape: [2, 2], data: [1, 2, 3] }, target: 1 },
    400,
    '/input/data',
  ],
  ['a negative dimension', 'mse_loss', { input: { shape: [-1], data: [] }, target: 1 }, 400, '/input/shape/0'],
  [
    'a b64 tensor with the wrong byte length',
    'mse_loss',
    { input: { shape: [2], dtype: 'float64', b64: 'AAAAAAAA8D8=' }, target: 1 },
    400,
    '/input/b64',
  ],
  [
    'a b64 tensor without dtype',
    'mse_loss',
    { input: { shape: [1], b64: 'AAAAAAAA8D8=' }, target: 1 },
    400,
    '/input/dtype',
  ],
  [
    'text that is not base64',
    'mse_loss',
    { input: { shape: [1], dtype: 'float64', b64: '!!!!!!!!!!!=' }, target: 1 },
    400,
    '/input/b64',
  ],
  ['a rank above 8', 'mse_loss', { input: [[[[[[[[[1]]]]]]]]], target: 1 }, 400, '/input'],
  ['an option out of range (beta < 0)', 'smooth_l1_loss', { ...good, beta: -1 }, 400, '/beta'],
  ['an option of the wrong type', 'mse_loss', { ...good, reduction: 1 }, 400, '/reduction'],
  ['an unknown reduction', 'mse_loss', { ...good, reduction: 'avg' }, 400, '/reduction'],
  ['an unknown dtype', 'mse_loss', { ...good, dtype: 'float16' }, 400, '/dtype'],
  ['an unknown encoding', 'mse_loss', { ...good, encoding: 'csv' }, 400, '/encoding'],
  ['shapes that do not broadcast', 'mse_loss', { input: [1, 2], target: [1, 2, 3] }, 400, '/target'],
  [
    'a gradient of an argument the loss does not have',
    'mse_loss',
    { ...good, grad_wrt: ['weight'] },
    400,
    '/grad_wrt/0',
  ],
  ['a gradient asked twice', 'mse_loss', { ...good, grad_wrt: ['input', 'input'] }, 400, '/grad_wrt/1'],
  ['grad_wrt that is not a list of names', 'mse_loss', { ...good, grad_wrt: 'input' }, 400, '/grad_wrt'],
  ['a grad_output of the wrong shape', 'mse_loss', { ...good, grad_output: [1, 2] }, 400, '/grad_output'],
  [
    'a tensor grad_output for a "none" loss of another shape',
    'mse_loss',
    { ...good, reduction: 'none', grad_output: 1 },
    400,
    '/grad_output',
  ],
  [
    'a __proto__ key (prototype poisoning)',
    'mse_loss',
    JSON.parse('{"input":[1],"target":[1],"__proto__":{"polluted":1}}'),
    400,
    '/__proto__',
  ],
  ['a constructor key', 'mse_loss', { ...good, constructor: { prototype: { polluted: 1 } } }, 400, '/constructor'],
  [
    'an unknown member in a tensor object',
    'mse_loss',
    { input: { shape: [1], data: [1], __proto__x: 1 }, target: 1 },
    400,
    '/input/__proto__x',
  ],
];

const empty = { shape: [0], data: [] };
const hugeShapes: Array<[string, string, unknown, number, string]> = [
  [
    'an empty tensor that declares a huge class dimension',
    'cross_entropy',
    { input: { shape: [0, 1e15], data: [] }, target: empty },
    413,
    '/input/shape',
  ],
  [
    'an empty b64 tensor that declares a huge dimension',
    'cross_entropy',
    { input: { shape: [0, 1e9], dtype: 'float64', b64: '' }, target: empty },
    413,
    '/input/shape',
  ],
  [
    'a flat tensor that declares 1e18 elements',
    'mse_loss',
    { input: { shape: [1e9, 1e9], data: [] }, target: 1 },
    413,
    '/input/shape',
  ],
];

describe('a bad request is a 4xx problem that names the path, and the next request is fine', () => {
  it.each(hugeShapes)('%s (refused before anything is allocated)', async (_what, loss, payload, status, path) => {
    expectProblem(await postJson(server.url, `/v1/losses/${loss}`, payload), status, path);
    await expectGoodRequestStillAnswered();
  });

  it.each(cases)('%s', async (_what, loss, payload, status, path) => {
    expectProblem(await postJson(server.url, `/v1/losses/${loss}`, payload), status, path);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectGoodRequestStillAnswered();
  });

  it('malformed JSON is a 400', async () => {
    expectProblem(await request(`${server.url}/v1/losses/mse_loss`, { body: '{"input": [1, 2' }), 400);
    await expectGoodRequestStillAnswered();
  });

  it('a body that is not UTF-8 is a 400', async () => {
    expectProblem(
      await request(`${server.url}/v1/losses/mse_loss`, { body: Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d) }),
      400,
    );
    await expectGoodRequestStillAnswered();
  });

  it('JSON nested far deeper than any tensor is a 400, not a crash', async () => {
    const deep = `{"input": ${'['.repeat(20_000)}1${']'.repeat(20_000)}, "target": 1}`;
    expectProblem(await request(`${server.url}/v1/losses/mse_loss`, { body: deep }), 400);
    await expectGoodRequestStillAnswered();
  });

  it('a content type other than application/json is a 415', async () => {
    const answer = await request(`${server.url}/v1/losses/mse_loss`, {
      method: 'POST',
      body: JSON.stringify(good),
      headers: { 'content-type': 'text/plain' },
    });
    expectProblem(answer, 415);
    await expectGoodRequestStillAnswered();
  });

  it('an unknown loss is a 404 that lists the known names', async () => {
    const problem = expectProblem(await postJson(server.url, '/v1/losses/mean_squared', good), 404) as Problem & {
      known: string[];
    };
    expect(problem.known).toContain('mse_loss');
    expect(problem.known).toContain('mae');
    expect(problem.detail).toContain('l1_loss');
    await expectGoodRequestStillAnswered();
  });

  it('an unknown route is a 404 problem', async () => {
    expectProblem(await request(`${server.url}/v2/anything`), 404);
  });

  it('a body over the byte limit is a 413', async () => {
    const big = JSON.stringify({ input: new Array(20_000).fill(1.2345678), target: 1 });
    expectProblem(await request(`${server.url}/v1/losses/mse_loss`, { body: big }), 413);
    await expectGoodRequestStillAnswered();
  });

  it('a body sent in chunks without a content-length is read whole, and held to the byte limit', async () => {
    const text = JSON.stringify({ input: new Array(800).fill(0.5), target: 0 }).replaceAll('0.5', '0.500000000');
    const pieces = Array.from({ length: Math.ceil(text.length / 1000) }, (_, i) =>
      text.slice(1000 * i, 1000 * (i + 1)),
    );
    expect(pieces.length).toBeGreaterThan(3);
    const answer = await postChunked(`${server.url}/v1/losses/mse_loss`, pieces);
    expect(answer.status).toBe(200);
    expect((answer.body as { loss: number }).loss).toBe(0.25);

    const batch = await postChunked(`${server.url}/v1/batch`, [
      '{"items": [{"loss": "mse_loss", ',
      '"input": [2], "target": [0]}]}',
    ]);
    expect(batch).toMatchObject({ status: 200, body: { results: [{ loss: 4, grad: { input: [4] } }] } });

    const over = await postChunked(`${server.url}/v1/losses/mse_loss`, Array(8).fill(pieces).flat());
    expect(over.status).toBe(413);
    await expectGoodRequestStillAnswered();
  });

  it('an empty body is a 400', async () => {
    expectProblem(await request(`${server.url}/v1/losses/mse_loss`, { body: '' }), 400);
    expectProblem(await request(`${server.url}/v1/batch`, { body: '' }), 400);
    await expectGoodRequestStillAnswered();
  });

  it('tensors over the element limit are a 413', async () => {
    expectProblem(
      await postJson(server.url, '/v1/losses/mse_loss', {
        input: { shape: [1001], dtype: 'float64', b64: 'AAAA' },
        target: 1,
      }),
      413,
      '/input',
    );
    expectProblem(
      await postJson(server.url, '/v1/losses/mse_loss', {
        input: new Array(600).fill(1),
        target: new Array(600).fill(1),
      }),
      413,
      '/target',
    );
    await expectGoodRequestStillAnswered();
  });
});
