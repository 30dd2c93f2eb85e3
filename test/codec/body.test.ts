// src/codec/body.ts cuts the long b64 values out of a large body before JSON.parse, and the
// decoder reads them from the body's bytes. The answers must be exactly those of the reference
// path (the whole body parsed as JSON), for valid bodies and for every kind of broken one.

import { describe, expect, it } from 'vitest';
import { cutB64 } from '../../src/codec/body.js';
import { runLoss } from '../../src/pipeline/run-loss.js';
import { runTask } from '../../src/pool/worker.js';
import { findLoss } from '../../src/registry/index.js';

const N = 20_000;
const x = Float64Array.from({ length: N }, (_, i) => Math.sin(i));
const y = Float64Array.from({ length: N }, (_, i) => Math.cos(i));
const b64 = (a: Float64Array) => Buffer.from(a.buffer).toString('base64');
const bytes = (body: unknown) => new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));

/** The reference: the body parsed whole, then the pipeline. */
function reference(loss: string, body: Uint8Array): string {
  const descriptor = findLoss(loss);
  if (!descriptor) throw new Error(loss);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (e) {
    return JSON.stringify({
      code: 'LOSSD_MALFORMED_JSON',
      detail: `the body is not valid JSON: ${(e as Error).message}`,
    });
  }
  const out = runLoss(descriptor, parsed, { maxElements: 1e8 });
  return out.ok ? out.json : JSON.stringify({ code: out.code, detail: out.detail });
}

function viaWorker(loss: string, body: Uint8Array): string {
  const r = runTask({ kind: 'loss', loss, body, maxElements: 1e8 });
  return r.ok ? Buffer.from(r.body).toString('utf8') : JSON.stringify({ code: r.code, detail: r.detail });
}

describe('cutB64', () => {
  it('leaves small bodies alone', () => {
    expect(
      cutB64(bytes({ input: { shape: [2], dtype: 'float64', b64: b64(Float64Array.of(1, 2)) }, target: 0 })),
    ).toBeNull();
  });

  it('cuts the long b64 values, and only those', () => {
    const body = bytes({ input: { shape: [N], dtype: 'float64', b64: b64(x) }, target: [1, 2], encoding: 'b64' });
    const cut = cutB64(body);
    expect(cut).not.toBeNull();
    expect(cut?.b64.size).toBe(1);
    const parsed = JSON.parse(Buffer.from(cut?.text ?? []).toString()) as { input: { b64: string }; encoding: string };
    expect(parsed.encoding).toBe('b64');
    expect(Buffer.from(cut?.b64.get(parsed.input.b64) ?? []).toString('latin1')).toBe(b64(x));
  });

  it('leaves b64 text with escapes, and "b64" inside strings, to JSON.parse', () => {
    const escaped = `{"input":{"shape":[${N}],"dtype":"float64","b64":"${b64(x).replace(/\//g, '\\/')}"},"target":0}`;
    expect(cutB64(bytes(escaped))).toBeNull();
    const inString = `{"note":"x\\"b64\\":\\"${'A'.repeat(80_000)}\\"","target":0}`;
    expect(cutB64(bytes(inString))).toBeNull();
  });

  it('names every cut value with a placeholder of its own request', () => {
    const body = bytes({
      input: { shape: [N], dtype: 'float64', b64: b64(x) },
      target: { shape: [N], dtype: 'float64', b64: b64(y) },
    });
    const a = [...(cutB64(body)?.b64.keys() ?? [])];
    const b = [...(cutB64(body)?.b64.keys() ?? [])];
    expect(a.length).toBe(2);
    expect(new Set([...a, ...b]).size).toBe(4);
  });
});

describe('a large b64 request in the worker', () => {
  const tensor = (a: Float64Array | string, shape = [N]) => ({
    shape,
    dtype: 'float64',
    b64: typeof a === 'string' ? a : b64(a),
  });
  const cases: [string, string, unknown][] = [
    ['both b64, b64 out', 'mse_loss', { input: tensor(x), target: tensor(y), encoding: 'b64' }],
    [
      'whitespace around',
      'mse_loss',
      `{"input" : { "shape":[${N}] , "dtype":"float64" , "b64" :  "${b64(x)}" },"target":{"shape":[${N}],"dtype":"float64","b64":"${b64(y)}"}}`,
    ],
    ['URL-safe alphabet', 'l1_loss', { input: tensor(b64(x).replace(/\+/g, '-').replace(/\//g, '_')), target: 0 }],
    ['a bad character', 'mse_loss', { input: tensor(`${b64(x).slice(0, 100)}!${b64(x).slice(101)}`), target: 0 }],
    ['padding inside', 'mse_loss', { input: tensor(`${b64(x).slice(0, 100)}=${b64(x).slice(101)}`), target: 0 }],
    ['wrong length', 'mse_loss', { input: tensor(x, [N + 1]), target: 0 }],
    [
      'escaped slashes',
      'mse_loss',
      `{"input":{"shape":[${N}],"dtype":"float64","b64":"${b64(x).replace(/\//g, '\\/')}"},"target":0}`,
    ],
    ['not JSON', 'mse_loss', `{"input":{"shape":[${N}],"dtype":"float64","b64":"${b64(x)}"},"target":0,}`],
    ['float32 request', 'mse_loss', { input: tensor(x), target: 0, dtype: 'float32', encoding: 'b64' }],
    ['b64 grad_output', 'mse_loss', { input: tensor(x), target: 0, reduction: 'none', grad_output: tensor(y) }],
    [
      'int64 targets',
      'nll_loss',
      {
        input: { shape: [N / 4, 4], dtype: 'float64', b64: b64(x) },
        target: {
          shape: [N / 4],
          dtype: 'int64',
          b64: Buffer.from(BigInt64Array.from({ length: N / 4 }, (_, i) => BigInt(i % 4)).buffer).toString('base64'),
        },
      },
    ],
  ];
  it.each(cases)('answers as the reference path: %s', (_name, loss, body) => {
    const b = bytes(body);
    expect(viaWorker(loss, b)).toBe(reference(loss, b));
  });
});
