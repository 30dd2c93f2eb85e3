// The binary tensor data extension over a real socket: binary inputs of every datatype (mixed
// with JSON ones, aligned or not), binary outputs asked for per request or per output, and
// every way the framing can be wrong (a 400 naming the input, never a crash).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../helpers/server.js';
import { outputValues, postV2, type V2Answer } from '../helpers/v2.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

type Json = Record<string, unknown>;
const f64 = (...xs: number[]) => Buffer.from(Float64Array.from(xs).buffer);
const f32 = (...xs: number[]) => Buffer.from(Float32Array.from(xs).buffer);
const i64 = (...xs: bigint[]) => Buffer.from(BigInt64Array.from(xs).buffer);
const i32 = (...xs: number[]) => Buffer.from(Int32Array.from(xs).buffer);

/** POSTs a JSON header followed by `tail`, with the header length given (or `length`). */
function send(model: string, header: Json, tail: Buffer[], length?: string): Promise<V2Answer> {
  const json = Buffer.from(JSON.stringify(header));
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  const value = length ?? (tail.length > 0 ? String(json.length) : undefined);
  if (value !== undefined) headers['inference-header-content-length'] = value;
  return postV2(`${server.url}/v2/models/${model}/infer`, Buffer.concat([json, ...tail]), headers);
}

const bin = (name: string, shape: number[], datatype: string, size: number) => ({
  name,
  shape,
  datatype,
  parameters: { binary_data_size: size },
});

const CE_INPUT = [2, 0.5, -1, 0.1, 0.2, 0.3];

async function v1CrossEntropy(extra: Json = {}) {
  const res = await fetch(`${server.url}/v1/losses/cross_entropy`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: { shape: [2, 3], data: CE_INPUT }, target: [0, 2], encoding: 'b64', ...extra }),
  });
  const body = (await res.json()) as { loss: number; grad: { input: { b64: string } } };
  return { loss: body.loss, grad: Buffer.from(body.grad.input.b64, 'base64') };
}

describe('binary inputs and outputs', () => {
  it('FP64 input, INT64 target, both outputs binary: the bytes v1 computes', async () => {
    const a = await send(
      'cross_entropy',
      {
        inputs: [bin('input', [2, 3], 'FP64', 48), bin('target', [2], 'INT64', 16)],
        parameters: { binary_data_output: true },
      },
      [f64(...CE_INPUT), i64(0n, 2n)],
    );
    expect(a.status).toBe(200);
    expect(a.contentType).toMatch(/^application\/octet-stream/);
    expect(Number(a.headerLength)).toBeGreaterThan(0);
    const outs = a.json?.outputs as Array<{ name: string; shape: number[]; datatype: string; parameters: Json }>;
    expect(outs.map((o) => [o.name, o.shape, o.datatype, o.parameters])).toEqual([
      ['loss', [], 'FP64', { binary_data_size: 8 }],
      ['grad_input', [2, 3], 'FP64', { binary_data_size: 48 }],
    ]);
    const v1 = await v1CrossEntropy();
    expect(a.rest.subarray(0, 8).equals(f64(v1.loss))).toBe(true);
    expect(a.rest.subarray(8).equals(v1.grad)).toBe(true);
  });

  it('a binary input after a JSON one, at an odd offset (one copy instead of a view): same bytes', async () => {
    for (const pad of ['', ' ', '  ', '   ']) {
      const header = {
        inputs: [{ name: 'target', shape: [2], datatype: 'INT32', data: [0, 2] }, bin('input', [2, 3], 'FP64', 48)],
        outputs: [{ name: 'grad_input', parameters: { binary_data: true } }],
        id: `pad${pad}`,
      };
      const a = await send('cross_entropy', header, [f64(...CE_INPUT)]);
      expect(a.status).toBe(200);
      expect(a.rest.equals((await v1CrossEntropy()).grad)).toBe(true);
      expect(a.json?.id).toBe(`pad${pad}`);
    }
  });

  it('inputs of mixed element sizes (FP32 × 3, then FP64 × 3 at an odd offset) read right', async () => {
    for (const pad of ['', ' ', '   ']) {
      const a = await send(
        'mse_loss',
        {
          inputs: [bin('input', [3], 'FP32', 12), bin('target', [3], 'FP64', 24)],
          parameters: { binary_data_output: true },
          outputs: [{ name: 'loss' }, { name: 'grad_target' }],
          id: pad,
        },
        [f32(1.5, 2, 3), f64(1, 2, 5)],
      );
      expect(a.status).toBe(200);
      expect(outputValues(a).get('loss')?.data).toEqual([(0.5 ** 2 + 0 + 2 ** 2) / 3]);
      expect(outputValues(a).get('grad_target')?.data).toEqual([-1 / 3, -0, 4 / 3]);
    }
  });

  it('INT32 target, FP32 input: float32 compute, FP32 outputs of 4 bytes', async () => {
    const a = await send(
      'cross_entropy',
      {
        inputs: [bin('input', [2, 3], 'FP32', 24), bin('target', [2], 'INT32', 8)],
        parameters: { binary_data_output: true },
      },
      [f32(...CE_INPUT), i32(0, 2)],
    );
    expect(a.status).toBe(200);
    const out = outputValues(a);
    expect(out.get('loss')?.datatype).toBe('FP32');
    expect(a.rest.length).toBe(4 + 24);
    const res = await fetch(`${server.url}/v1/losses/cross_entropy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: { shape: [2, 3], data: CE_INPUT }, target: [0, 2], dtype: 'float32' }),
    });
    const v1 = (await res.json()) as { loss: number; grad: { input: number[][] } };
    expect(out.get('loss')?.data).toEqual([v1.loss]);
    expect(out.get('grad_input')?.data).toEqual(v1.grad.input.flat());
  });

  it('binary_data on an output overrides binary_data_output; JSON outputs stay inline', async () => {
    const a = await send(
      'mse_loss',
      {
        inputs: [bin('input', [2], 'FP64', 16), bin('target', [2], 'FP64', 16)],
        parameters: { binary_data_output: true },
        outputs: [{ name: 'loss', parameters: { binary_data: false } }, { name: 'grad_input' }],
      },
      [f64(1, 2), f64(0, 0)],
    );
    const outs = a.json?.outputs as Array<{ name: string; data?: number[]; parameters?: Json }>;
    expect(outs[0]).toMatchObject({ name: 'loss', data: [2.5] });
    expect(outs[1]).toMatchObject({ name: 'grad_input', parameters: { binary_data_size: 16 } });
    expect(a.rest.equals(f64(1, 2))).toBe(true);
  });

  it('binary inputs with JSON outputs answer application/json without the header', async () => {
    const a = await send('mse_loss', { inputs: [bin('input', [1], 'FP64', 8), bin('target', [1], 'FP64', 8)] }, [
      f64(3),
      f64(1),
    ]);
    expect(a.status).toBe(200);
    expect(a.contentType).toMatch(/^application\/json/);
    expect(a.headerLength).toBeNull();
    expect(outputValues(a).get('loss')?.data).toEqual([4]);
  });

  it('an empty tensor is zero bytes', async () => {
    const a = await send(
      'mse_loss',
      {
        inputs: [bin('input', [0], 'FP64', 0), bin('target', [0], 'FP64', 0)],
        parameters: { reduction: 'sum', binary_data_output: true },
      },
      [],
      undefined,
    );
    expect(a.status).toBe(200);
    expect(outputValues(a).get('grad_input')?.data).toEqual([]);
  });

  it('integer arguments: INT64 outside int32 and FP64 non-integers are refused as v1 refuses them', async () => {
    const input = bin('input', [1, 2], 'FP64', 16);
    const big = await send('nll_loss', { inputs: [input, bin('target', [1], 'INT64', 8)] }, [
      f64(-1, -2),
      i64(2n ** 40n),
    ]);
    expect(big.status).toBe(400);
    expect(big.json).toMatchObject({ code: 'LOSSD_INVALID_VALUE', errors: [{ path: '/inputs/1' }] });
    const frac = await send('nll_loss', { inputs: [input, bin('target', [1], 'FP64', 8)] }, [f64(-1, -2), f64(0.5)]);
    expect(frac.status).toBe(400);
    expect(frac.json).toMatchObject({ code: 'LOSSD_INVALID_TENSOR', errors: [{ path: '/inputs/1' }] });
    const whole = await send('nll_loss', { inputs: [input, bin('target', [1], 'FP64', 8)] }, [f64(-1, -2), f64(1)]);
    expect(whole.status).toBe(200);
  });
});

describe('framing errors are 400s naming the input', () => {
  const two = { inputs: [bin('input', [2], 'FP64', 16), bin('target', [2], 'FP64', 16)] };
  const cases: Array<[string, Json, Buffer[], string | undefined, string]> = [
    [
      'bytes left over',
      two,
      [f64(1, 2), f64(3, 4), Buffer.from([0])],
      undefined,
      '/inputs/1/parameters/binary_data_size',
    ],
    ['bytes missing', two, [f64(1, 2), f64(3)], undefined, '/inputs/1/parameters/binary_data_size'],
    [
      'binary_data_size ≠ shape × datatype size',
      { inputs: [bin('input', [2], 'FP64', 12), bin('target', [2], 'FP64', 16)] },
      [f64(1, 2).subarray(0, 12), f64(3, 4)],
      undefined,
      '/inputs/0/parameters/binary_data_size',
    ],
    [
      'binary_data_size not a non-negative integer',
      { inputs: [bin('input', [2], 'FP64', -16), bin('target', [2], 'FP64', 16)] },
      [f64(3, 4)],
      undefined,
      '/inputs/0/parameters/binary_data_size',
    ],
    [
      'binary_data_size beside data',
      { inputs: [{ ...bin('input', [2], 'FP64', 16), data: [1, 2] }, bin('target', [2], 'FP64', 16)] },
      [f64(1, 2), f64(3, 4)],
      undefined,
      '/inputs/0/data',
    ],
    [
      'bytes after the header but no binary input',
      {
        inputs: [
          { name: 'input', shape: [1], datatype: 'FP64', data: [1] },
          { name: 'target', shape: [1], datatype: 'FP64', data: [1] },
        ],
      },
      [f64(1)],
      undefined,
      '',
    ],
    ['header length past the body', two, [f64(1, 2), f64(3, 4)], '100000', ''],
    ['header length not an integer', two, [f64(1, 2), f64(3, 4)], '12.5', ''],
    ['header length negative', two, [f64(1, 2), f64(3, 4)], '-3', ''],
    ['header length not a number', two, [f64(1, 2), f64(3, 4)], 'abc', ''],
    ['no header length: the binary bytes are not JSON', two, [f64(1, 2), f64(3, 4)], 'none', ''],
  ];
  it.each(cases)('%s', async (_what, header, tail, length, path) => {
    let a: V2Answer;
    if (length === 'none') {
      const json = Buffer.from(JSON.stringify(header));
      a = await postV2(`${server.url}/v2/models/mse_loss/infer`, Buffer.concat([json, ...tail]), {
        'content-type': 'application/octet-stream',
      });
    } else {
      a = await send('mse_loss', header, tail, length);
    }
    expect(a.status).toBe(400);
    expect(a.contentType).toMatch(/^application\/problem\+json/);
    const p = a.json as { status: number; error: string; errors: Array<{ path: string }> };
    expect(p.status).toBe(400);
    expect(typeof p.error).toBe('string');
    expect(p.errors[0]?.path).toBe(path);
    // and the server goes on answering
    const ok = await send('mse_loss', two, [f64(1, 2), f64(3, 4)]);
    expect(ok.status).toBe(200);
  });
});
