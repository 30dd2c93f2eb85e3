// The Open Inference Protocol v2 routes over a real socket: health, server and model metadata,
// model ready (with the optional /versions/1 forms), inference with JSON tensors, its request
// parameters and outputs, content types, and errors (v1's statuses, the problem fields, and the
// protocol's `error` member, paths into the v2 request).

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOSSES } from '../../src/registry/index.js';
import { type RunningServer, request, startServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ maxElements: 1000 });
});
afterAll(async () => {
  await server.close();
});

type Json = Record<string, unknown>;
type Problem = { status: number; code: string; error: string; detail: string; errors: Array<{ path: string }> };

async function infer(model: string, body: unknown, headers: Record<string, string> = {}) {
  return request(`${server.url}/v2/models/${model}/infer`, {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers,
  });
}

const mse = {
  inputs: [
    { name: 'input', shape: [3], datatype: 'FP64', data: [1, 2, 3] },
    { name: 'target', shape: [3], datatype: 'FP64', data: [1, 2, 5] },
  ],
};

function outputs(body: unknown): Record<string, { shape: number[]; datatype: string; data: unknown[] }> {
  const list = (body as { outputs: Array<{ name: string; shape: number[]; datatype: string; data: unknown[] }> })
    .outputs;
  return Object.fromEntries(list.map((o) => [o.name, o]));
}

/** A refusal: its status, the problem, the error member, and the first path. */
async function refusal(model: string, body: unknown, headers?: Record<string, string>) {
  const a = await infer(model, body, headers);
  expect(a.contentType).toMatch(/^application\/problem\+json/);
  const p = a.body as Problem;
  expect(p.status).toBe(a.status);
  expect(p.error).toBe(p.detail);
  return { status: a.status, code: p.code, path: p.errors[0]?.path, problem: p };
}

describe('health and metadata', () => {
  it('GET /v2: lossd, its version, the binary tensor data extension', async () => {
    const a = await request(`${server.url}/v2`);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ name: 'lossd', extensions: ['binary_tensor_data'] });
    expect(typeof (a.body as Json).version).toBe('string');
  });

  it('live and ready', async () => {
    expect((await request(`${server.url}/v2/health/live`)).body).toEqual({ live: true });
    expect((await request(`${server.url}/v2/health/ready`)).body).toEqual({ ready: true });
  });

  it('ready is a 503 with error while the server drains', async () => {
    server.lifecycle.draining = true;
    try {
      const a = await request(`${server.url}/v2/health/ready`);
      expect(a.status).toBe(503);
      expect((a.body as Problem).error).toMatch(/shutting down/);
    } finally {
      server.lifecycle.draining = false;
    }
  });

  it.each(LOSSES.map((l) => [l.name]))('model metadata of %s: its arguments and outputs', async (name) => {
    const loss = LOSSES.find((l) => l.name === name);
    const a = await request(`${server.url}/v2/models/${name}`);
    expect(a.status).toBe(200);
    const m = a.body as {
      name: string;
      versions: string[];
      platform: string;
      inputs: Array<{ name: string; datatype: string; shape: number[] }>;
      outputs: Array<{ name: string; shape: number[] }>;
    };
    expect(m).toMatchObject({ name, versions: ['1'], platform: 'lossd' });
    expect(m.inputs.map((i) => i.name)).toEqual(loss?.args.map((a) => a.name));
    expect(m.outputs.map((o) => o.name)).toEqual([
      'loss',
      ...(loss?.args.filter((a) => a.differentiable).map((a) => `grad_${a.name}`) ?? []),
    ]);
    for (const t of [...m.inputs, ...m.outputs]) {
      for (const d of t.shape) expect(Number.isInteger(d) && d >= -1).toBe(true);
    }
    for (const i of m.inputs) expect(['FP64', 'INT64']).toContain(i.datatype);
  });

  it('the loss output has the rank inference answers with under default options', async () => {
    const none: string[] = [];
    for (const loss of LOSSES) {
      const kinds = new Map(loss.args.map((a) => [a.name, a.kind]));
      const inputs: Json[] = [];
      const parameters: Json = {};
      for (const [key, value] of Object.entries(loss.example)) {
        const kind = kinds.get(key);
        if (kind === undefined) {
          parameters[key] = Array.isArray(value) || value === null ? JSON.stringify(value) : value;
          continue;
        }
        const shape: number[] = [];
        for (let cur: unknown = value; Array.isArray(cur); cur = cur[0]) shape.push(cur.length);
        const data = Array.isArray(value) ? value : [value];
        inputs.push({ name: key, shape, datatype: kind === 'int' ? 'INT64' : 'FP64', data });
      }
      const answer = await infer(loss.name, { inputs, parameters, outputs: [{ name: 'loss' }] });
      expect(answer.status, loss.name).toBe(200);
      const rank = outputs(answer.body).loss?.shape.length;
      const meta = (await request(`${server.url}/v2/models/${loss.name}`)).body as {
        outputs: Array<{ name: string; shape: number[] }>;
      };
      const declared = meta.outputs.find((o) => o.name === 'loss')?.shape;
      expect(declared, loss.name).toEqual(new Array(rank).fill(-1));
      if (rank) none.push(loss.name);
    }
    // The losses whose reference defaults to reduction "none" answer a tensor.
    expect(none).toEqual(expect.arrayContaining(['generalized_box_iou_loss', 'sigmoid_focal_loss']));
  });

  it('an alias is a model of its own name; /versions/1 is the same model', async () => {
    expect((await request(`${server.url}/v2/models/mse`)).body).toMatchObject({ name: 'mse' });
    expect((await request(`${server.url}/v2/models/mse/versions/1`)).body).toMatchObject({ name: 'mse' });
    expect((await request(`${server.url}/v2/models/mse/ready`)).body).toEqual({ name: 'mse', ready: true });
    expect((await request(`${server.url}/v2/models/mse/versions/1/ready`)).body).toEqual({ name: 'mse', ready: true });
  });

  it('an unknown model or version is a 404 problem with error', async () => {
    for (const path of ['/v2/models/nope', '/v2/models/nope/ready']) {
      const a = await request(`${server.url}${path}`);
      expect(a.status, path).toBe(404);
      expect(a.contentType).toMatch(/^application\/problem\+json/);
      expect((a.body as Problem).error, path).toMatch(/no model named "nope"/);
    }
    for (const path of ['/v2/models/mse/versions/2', '/v2/models/mse/versions/2/ready']) {
      const a = await request(`${server.url}${path}`);
      expect(a.status, path).toBe(404);
      expect(a.contentType).toMatch(/^application\/problem\+json/);
      expect((a.body as Problem).error, path).toBe('model "mse" has no version "2" (versions: 1)');
    }
    const r = await refusal('nope', mse);
    expect(r.status).toBe(404);
    expect((await request(`${server.url}/v2/models/mse/versions/7/infer`, { body: JSON.stringify(mse) })).status).toBe(
      404,
    );
  });

  it('an unknown /v2 route is a 404 with error', async () => {
    const a = await request(`${server.url}/v2/repository/index`);
    expect(a.status).toBe(404);
    expect(typeof (a.body as Problem).error).toBe('string');
  });
});

describe('inference with JSON tensors', () => {
  it('computes the loss and the default gradients, as v1 does', async () => {
    const a = await infer('mse_loss', { id: 'req-1', ...mse });
    expect(a.status).toBe(200);
    expect(a.contentType).toMatch(/^application\/json/);
    expect(a.headers.get('inference-header-content-length')).toBeNull();
    const body = a.body as Json;
    expect(body).toMatchObject({ model_name: 'mse_loss', id: 'req-1' });
    const out = outputs(body);
    expect(Object.keys(out)).toEqual(['loss', 'grad_input']);
    expect(out.loss).toEqual({ name: 'loss', datatype: 'FP64', shape: [], data: [4 / 3] });
    expect(out.grad_input).toMatchObject({ datatype: 'FP64', shape: [3], data: [0, 0, -4 / 3] });
    const v1 = await request(`${server.url}/v1/losses/mse_loss`, {
      body: JSON.stringify({ input: [1, 2, 3], target: [1, 2, 5] }),
    });
    expect((v1.body as { loss: number }).loss).toBe(out.loss?.data[0]);
  });

  it('outputs choose what comes back, in their order (the v1 grad_wrt)', async () => {
    const a = await infer('mse', { ...mse, outputs: [{ name: 'grad_target' }, { name: 'loss' }] });
    expect(a.status).toBe(200);
    const list = (a.body as { outputs: Array<{ name: string; data: unknown[] }> }).outputs;
    expect(list.map((o) => o.name)).toEqual(['grad_target', 'loss']);
    expect(list[0]?.data).toEqual([0, 0, 4 / 3]);
    expect((a.body as Json).model_name).toBe('mse');
    const lossOnly = await infer('mse_loss', { ...mse, outputs: [{ name: 'loss' }] });
    expect(Object.keys(outputs(lossOnly.body))).toEqual(['loss']);
  });

  it('takes data nested as the shape, options and JSON-text list options in parameters', async () => {
    const ce = {
      inputs: [
        {
          name: 'input',
          shape: [2, 3],
          datatype: 'FP64',
          data: [
            [2, 0.5, -1],
            [0.1, 0.2, 0.3],
          ],
        },
        { name: 'target', shape: [2], datatype: 'INT64', data: [0, 2] },
      ],
      parameters: { reduction: 'sum', label_smoothing: 0.1, priority: 1, timeout: 100, sequence_id: 'x' },
    };
    const a = await infer('cross_entropy', ce);
    expect(a.status).toBe(200);
    const v1 = await request(`${server.url}/v1/losses/cross_entropy`, {
      body: JSON.stringify({
        input: [
          [2, 0.5, -1],
          [0.1, 0.2, 0.3],
        ],
        target: [0, 2],
        reduction: 'sum',
        label_smoothing: 0.1,
        encoding: 'flat',
      }),
    });
    const v1Body = v1.body as { loss: number; grad: { input: { data: number[] } } };
    expect(outputs(a.body).loss?.data).toEqual([v1Body.loss]);
    expect(outputs(a.body).grad_input?.data).toEqual(v1Body.grad.input.data);
    expect(outputs(a.body).grad_input?.shape).toEqual([2, 3]);
  });

  it('grad_output is an input; reduction none gives a loss tensor', async () => {
    const a = await infer('l1_loss', {
      inputs: [
        { name: 'input', shape: [2], datatype: 'FP64', data: [1, -1] },
        { name: 'target', shape: [2], datatype: 'FP64', data: [0, 0] },
        { name: 'grad_output', shape: [2], datatype: 'FP64', data: [2, 3] },
      ],
      parameters: { reduction: 'none' },
    });
    expect(a.status).toBe(200);
    expect(outputs(a.body).loss).toMatchObject({ shape: [2], data: [1, 1] });
    expect(outputs(a.body).grad_input?.data).toEqual([2, -3]);
  });

  it("an input's content_type (KServe's and MLServer's codec hint) is accepted and ignored; other input parameters are not", async () => {
    const hinted = (parameters: Record<string, unknown>) => ({
      inputs: [
        { name: 'input', shape: [2], datatype: 'FP64', data: [1, 2], parameters },
        { name: 'target', shape: [2], datatype: 'FP64', data: [0, 0] },
      ],
    });
    const a = await infer('mse_loss', hinted({ content_type: 'np' }));
    expect(a.status).toBe(200);
    expect(outputs(a.body).loss?.data).toEqual([2.5]);
    const b = await infer('mse_loss', hinted({ content_type: 3 }));
    expect(b.status).toBe(400);
    expect((b.body as Json).errors).toMatchObject([{ path: '/inputs/0/parameters/content_type' }]);
    const c = await infer('mse_loss', hinted({ classification: 2 }));
    expect(c.status).toBe(400);
    expect((c.body as Json).errors).toMatchObject([{ path: '/inputs/0/parameters/classification' }]);
  });

  it('non-finite values travel as v1 strings', async () => {
    const a = await infer('l1_loss', {
      inputs: [
        { name: 'input', shape: [2], datatype: 'FP64', data: ['Infinity', 1] },
        { name: 'target', shape: [2], datatype: 'FP64', data: [0, 'NaN'] },
      ],
      parameters: { reduction: 'none' },
    });
    expect(outputs(a.body).loss?.data).toEqual(['Infinity', 'NaN']);
  });

  it('compute dtype: float32 when every float input is FP32, parameters.dtype overrides', async () => {
    const f32 = {
      inputs: [
        { name: 'input', shape: [1], datatype: 'FP32', data: [0.1] },
        { name: 'target', shape: [1], datatype: 'INT32', data: [0] },
      ],
    };
    const a = await infer('mse_loss', f32);
    expect(outputs(a.body).loss).toMatchObject({ datatype: 'FP32', data: [Math.fround(Math.fround(0.1) ** 2)] });
    const b = await infer('mse_loss', { ...f32, parameters: { dtype: 'float64' } });
    expect(outputs(b.body).loss).toMatchObject({ datatype: 'FP64', data: [Math.fround(0.1) ** 2] });
    const mixed = {
      inputs: [f32.inputs[0], { name: 'target', shape: [1], datatype: 'FP64', data: [0] }],
    };
    expect(outputs((await infer('mse_loss', mixed)).body).loss?.datatype).toBe('FP64');
    const float = { inputs: [f32.inputs[0], f32.inputs[1]], parameters: { dtype: 'float32' } };
    expect(outputs((await infer('mse_loss', float)).body).loss?.datatype).toBe('FP32');
  });

  it('accepts application/octet-stream and no content type; v1 stays JSON-only', async () => {
    const text = JSON.stringify(mse);
    expect((await infer('mse_loss', text, { 'content-type': 'application/octet-stream' })).status).toBe(200);
    const none = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request: raw }) => {
        const req = raw(`${server.url}/v2/models/mse_loss/infer`, { method: 'POST' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(text);
      }, reject);
    });
    expect(none).toBe(200);
    // what curl -d and Python's urllib label a body they were given no content type for
    const form = await infer('mse_loss', text, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(200);
    expect((await infer('mse_loss', text, { 'content-type': 'text/plain' })).status).toBe(415);
    const v1 = await request(`${server.url}/v1/losses/mse_loss`, {
      body: JSON.stringify({ input: [1], target: [1] }),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(v1.status).toBe(415);
    expect((v1.body as Json).error).toBeUndefined();
  });
});

describe('refusals name the place in the v2 request', () => {
  const cases: Array<[string, string, unknown, number, string]> = [
    ['malformed JSON', 'mse_loss', '{"inputs": [', 400, ''],
    ['not an object', 'mse_loss', [1], 400, ''],
    ['unknown request member', 'mse_loss', { ...mse, inputz: [] }, 400, '/inputz'],
    ['inputs not an array', 'mse_loss', { inputs: {} }, 400, '/inputs'],
    ['missing required input', 'mse_loss', { inputs: [mse.inputs[0]] }, 400, '/inputs'],
    [
      'unknown input',
      'mse_loss',
      { inputs: [...mse.inputs, { name: 'weight', shape: [3], datatype: 'FP64', data: [1, 1, 1] }] },
      400,
      '/inputs/2/name',
    ],
    ['input given twice', 'mse_loss', { inputs: [...mse.inputs, mse.inputs[0]] }, 400, '/inputs/2/name'],
    [
      'bad datatype',
      'mse_loss',
      { inputs: [{ ...mse.inputs[0], datatype: 'BYTES' }, mse.inputs[1]] },
      400,
      '/inputs/0/datatype',
    ],
    [
      'negative dimension',
      'mse_loss',
      { inputs: [{ ...mse.inputs[0], shape: [-1] }, mse.inputs[1]] },
      400,
      '/inputs/0/shape/0',
    ],
    [
      'data length ≠ shape',
      'mse_loss',
      { inputs: [{ ...mse.inputs[0], shape: [4] }, mse.inputs[1]] },
      400,
      '/inputs/0/data',
    ],
    [
      'a bad element',
      'mse_loss',
      { inputs: [{ ...mse.inputs[0], data: [1, 'x', 3] }, mse.inputs[1]] },
      400,
      '/inputs/0/data/1',
    ],
    [
      'ragged nested data whose count matches',
      'mse_loss',
      {
        inputs: [
          { name: 'input', shape: [2, 2], datatype: 'FP64', data: [[1, 2, 3], [4]] },
          { name: 'target', shape: [2, 2], datatype: 'FP64', data: [1, 2, 3, 4] },
        ],
      },
      400,
      '/inputs/0/data/0',
    ],
    [
      'a bad nested element',
      'mse_loss',
      {
        inputs: [
          {
            name: 'input',
            shape: [2, 2],
            datatype: 'FP64',
            data: [
              [1, 2],
              [3, null],
            ],
          },
          { name: 'target', shape: [2, 2], datatype: 'FP64', data: [1, 2, 3, 4] },
        ],
      },
      400,
      '/inputs/0/data/1/1',
    ],
    [
      'a fractional class index',
      'nll_loss',
      {
        inputs: [
          { name: 'input', shape: [1, 2], datatype: 'FP64', data: [-1, -2] },
          { name: 'target', shape: [1], datatype: 'FP64', data: [0.5] },
        ],
      },
      400,
      '/inputs/1/data/0',
    ],
    [
      'a class index out of range',
      'nll_loss',
      {
        inputs: [
          { name: 'input', shape: [1, 2], datatype: 'FP64', data: [-1, -2] },
          { name: 'target', shape: [1], datatype: 'INT64', data: [5] },
        ],
      },
      400,
      '/inputs/1',
    ],
    [
      'shape mismatch',
      'mse_loss',
      { inputs: [mse.inputs[0], { ...mse.inputs[1], shape: [2], data: [1, 2] }] },
      400,
      '/inputs/1',
    ],
    ['unknown parameter', 'mse_loss', { ...mse, parameters: { reductoin: 'sum' } }, 400, '/parameters/reductoin'],
    ['encoding is v1 only', 'mse_loss', { ...mse, parameters: { encoding: 'b64' } }, 400, '/parameters/encoding'],
    ['option out of range', 'smooth_l1_loss', { ...mse, parameters: { beta: -1 } }, 400, '/parameters/beta'],
    ['option of the wrong type', 'mse_loss', { ...mse, parameters: { reduction: 3 } }, 400, '/parameters/reduction'],
    [
      'binary_data_output not a boolean',
      'mse_loss',
      { ...mse, parameters: { binary_data_output: 'yes' } },
      400,
      '/parameters/binary_data_output',
    ],
    ['unknown output', 'mse_loss', { ...mse, outputs: [{ name: 'output0' }] }, 400, '/outputs/0/name'],
    [
      'gradient of an absent argument',
      'cross_entropy',
      {
        inputs: [
          { name: 'input', shape: [1, 2], datatype: 'FP64', data: [1, 2] },
          { name: 'target', shape: [1], datatype: 'INT64', data: [0] },
        ],
        outputs: [{ name: 'loss' }, { name: 'grad_weight' }],
      },
      400,
      '/outputs/1',
    ],
    [
      'gradient of an integer argument',
      'nll_loss',
      {
        inputs: [
          { name: 'input', shape: [1, 2], datatype: 'FP64', data: [-1, -2] },
          { name: 'target', shape: [1], datatype: 'INT64', data: [0] },
        ],
        outputs: [{ name: 'grad_target' }],
      },
      400,
      '/outputs/0',
    ],
    [
      'grad_output of the wrong shape',
      'mse_loss',
      { inputs: [...mse.inputs, { name: 'grad_output', shape: [2], datatype: 'FP64', data: [1, 1] }] },
      400,
      '/inputs/2',
    ],
    ['id not a string', 'mse_loss', { ...mse, id: 7 }, 400, '/id'],
    [
      'too many elements',
      'mse_loss',
      {
        inputs: [
          { name: 'input', shape: [600], datatype: 'FP64', data: new Array(600).fill(0) },
          { name: 'target', shape: [600], datatype: 'FP64', data: new Array(600).fill(0) },
        ],
      },
      413,
      '/inputs/1',
    ],
  ];
  it.each(cases)('%s', async (_what, model, body, status, path) => {
    const r = await refusal(model, body);
    expect(r.status).toBe(status);
    expect(r.path).toBe(path);
  });
});

describe('observability, as v1', () => {
  it('counts v2 requests by route, loss and status, with kernel time, elements and rejections', async () => {
    await infer('mse', mse);
    await infer('mse_loss', { ...mse, parameters: { reductoin: 'sum' } });
    const text = (await request(`${server.url}/metrics`)).text;
    expect(text).toMatch(
      /lossd_http_requests_total\{route="\/v2\/models\/:model\/infer",loss="mse_loss",status="200"\} \d+/,
    );
    expect(text).toMatch(
      /lossd_http_requests_total\{route="\/v2\/models\/:model\/infer",loss="mse_loss",status="400"\} \d+/,
    );
    expect(text).toMatch(/lossd_kernel_duration_seconds_count\{loss="mse_loss"\} \d+/);
    expect(text).toMatch(/lossd_rejected_requests_total\{reason="LOSSD_INVALID_REQUEST"\} \d+/);
  });

  it('logs one line per v2 request, with what it computed', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const logged = await startServer({}, { logger: pino({ level: 'info' }, stream) });
    try {
      await request(`${logged.url}/v2/models/mse_loss/infer`, { body: JSON.stringify(mse) });
      await request(`${logged.url}/v2/models/mse_loss/infer`, { body: '{' });
    } finally {
      await logged.close();
    }
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.url, l.status])).toEqual([
      ['/v2/models/mse_loss/infer', 200],
      ['/v2/models/mse_loss/infer', 400],
    ]);
    expect(requests[0]).toMatchObject({ loss: 'mse_loss', elements: 6 });
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
  });
});
