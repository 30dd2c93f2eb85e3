// src/codec/body.ts cuts the long b64 values and the large numeric arrays out of a large body
// before JSON.parse, and the decoder reads them from the body's bytes. The answers must be
// exactly those of the reference path (the whole body parsed as JSON), for valid bodies and
// for every kind of broken one.

import { describe, expect, it, vi } from 'vitest';
import { cutBody } from '../../src/codec/body.js';
import { runLoss } from '../../src/pipeline/run-loss.js';
import { runTask } from '../../src/pool/worker.js';
import { findLoss } from '../../src/registry/index.js';

const N = 20_000;
const x = Float64Array.from({ length: N }, (_, i) => Math.sin(i));
const y = Float64Array.from({ length: N }, (_, i) => Math.cos(i));
const b64 = (a: Float64Array) => Buffer.from(a.buffer).toString('base64');
const bytes = (body: unknown) => new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));

/** The reference: the body parsed whole, then the pipeline. */
function reference(loss: string, body: Uint8Array, maxElements = 1e8): string {
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
  const out = runLoss(descriptor, parsed, { maxElements });
  return out.ok ? out.json : JSON.stringify({ code: out.code, detail: out.detail });
}

function viaWorker(loss: string, body: Uint8Array, maxElements = 1e8): string {
  const r = runTask({ kind: 'loss', loss, body, maxElements });
  return r.ok ? Buffer.from(r.body).toString('utf8') : JSON.stringify({ code: r.code, detail: r.detail });
}

describe('cutBody: b64 values', () => {
  it('leaves small bodies alone', () => {
    expect(
      cutBody(bytes({ input: { shape: [2], dtype: 'float64', b64: b64(Float64Array.of(1, 2)) }, target: 0 })),
    ).toBeNull();
  });

  it('cuts the long b64 values, and only those', () => {
    const body = bytes({ input: { shape: [N], dtype: 'float64', b64: b64(x) }, target: [1, 2], encoding: 'b64' });
    const cut = cutBody(body);
    expect(cut).not.toBeNull();
    const text = Buffer.from(cut?.text ?? []).toString();
    expect(text.split('\\u0000b64:').length - 1).toBe(1);
    const parsed = JSON.parse(text) as { input: { b64: string }; encoding: string };
    expect(parsed.encoding).toBe('b64');
    expect(Buffer.from(cut?.cuts.b64(parsed.input.b64) ?? []).toString('latin1')).toBe(b64(x));
  });

  it('leaves b64 text with escapes, and "b64" inside strings, to JSON.parse', () => {
    const escaped = `{"input":{"shape":[${N}],"dtype":"float64","b64":"${b64(x).replace(/\//g, '\\/')}"},"target":0}`;
    expect(cutBody(bytes(escaped))).toBeNull();
    const inString = `{"note":"x\\"b64\\":\\"${'A'.repeat(80_000)}\\"","target":0}`;
    expect(cutBody(bytes(inString))).toBeNull();
  });

  it('names every cut value with a placeholder of its own request', () => {
    const body = bytes({
      input: { shape: [N], dtype: 'float64', b64: b64(x) },
      target: { shape: [N], dtype: 'float64', b64: b64(y) },
    });
    const marks = () => {
      const parsed = JSON.parse(Buffer.from(cutBody(body)?.text ?? []).toString()) as Record<string, { b64: string }>;
      return [parsed.input?.b64, parsed.target?.b64];
    };
    const [a, b] = [marks(), marks()];
    expect(new Set([...a, ...b]).size).toBe(4);
  });
});

describe('cutBody: numeric arrays', () => {
  const input = Array.from({ length: 100 }, (_, i) => Array.from({ length: 100 }, (_, j) => Math.cos(i * j)));
  const body = bytes({ input, target: Array.from({ length: 2000 }, (_, i) => i), shape: [1, 2, 3], note: 'x' });

  it('cuts only when asked (loss requests), and only arrays of 1024 values or more', () => {
    expect(cutBody(body)).toBeNull();
    const cut = cutBody(body, { maxValues: 1e8 });
    const parsed = JSON.parse(Buffer.from(cut?.text ?? []).toString()) as Record<string, unknown>;
    expect(parsed.shape).toEqual([1, 2, 3]);
    expect(parsed.note).toBe('x');
    const a = cut?.cuts.array(parsed.input as string);
    expect(a?.shape).toEqual([100, 100]);
    expect([...(a?.values ?? [])]).toEqual(input.flat());
    expect([...(cut?.cuts.array(parsed.target as string)?.values ?? [])]).toEqual(
      Array.from({ length: 2000 }, (_, i) => i),
    );
    expect(cut?.cuts.allArraysUsed()).toBe(true);
  });

  it('notices an array that was not decoded as a tensor', () => {
    const cut = cutBody(body, { maxValues: 1e8 });
    const parsed = JSON.parse(Buffer.from(cut?.text ?? []).toString()) as Record<string, unknown>;
    cut?.cuts.array(parsed.input as string);
    expect(cut?.cuts.allArraysUsed()).toBe(false);
  });

  it('leaves a valid request with nothing large for JSON.parse', () => {
    const big = bytes({ input: input, target: input });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(viaWorker('mse_loss', big)).toMatch(/^\{"loss":/);
      const lengths = parse.mock.calls.map(([text]) => String(text).length);
      expect(lengths.length).toBeGreaterThan(0);
      expect(Math.max(...lengths)).toBeLessThan(200);
    } finally {
      parse.mockRestore();
    }
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

describe('a large nested request in the worker', () => {
  const B = 256;
  const C = 100;
  const rows = (f: (i: number, j: number) => number, b = B, c = C) =>
    Array.from({ length: b }, (_, i) => Array.from({ length: c }, (_, j) => f(i, j)));
  const logits = rows((i, j) => Math.sin(i * C + j) * 3);
  const classes = Array.from({ length: B }, (_, i) => (i * 7) % C);
  const flatX = Array.from(x);
  const cases: [string, string, unknown, number?][] = [
    ['nested input, nested int targets', 'cross_entropy', { input: logits, target: classes }],
    ['pretty-printed', 'cross_entropy', JSON.stringify({ input: logits, target: classes }, null, 2)],
    ['float32 request', 'cross_entropy', { input: logits, target: classes, dtype: 'float32', encoding: 'flat' }],
    ['nested grad_output', 'mse_loss', { input: logits, target: 0, reduction: 'none', grad_output: logits }],
    ['both arguments differentiated', 'mse_loss', { input: logits, target: logits, grad_wrt: ['input', 'target'] }],
    ['flat data', 'mse_loss', { input: { shape: [N], data: flatX }, target: { shape: [N], data: Array.from(y) } }],
    ['flat data as float32', 'mse_loss', { input: { shape: [N], data: flatX, dtype: 'float32' }, target: 0 }],
    [
      'flat data as int32',
      'l1_loss',
      { input: { shape: [N], data: flatX.map(Math.round), dtype: 'int32' }, target: 0 },
    ],
    ['flat data, non-integers as int32', 'l1_loss', { input: { shape: [N], data: flatX, dtype: 'int32' }, target: 0 }],
    ['flat data of the wrong length', 'mse_loss', { input: { shape: [N + 1], data: flatX }, target: 0 }],
    ['nested data in the flat form', 'mse_loss', { input: { shape: [B * C], data: logits }, target: 0 }],
    [
      'a target class out of range',
      'cross_entropy',
      { input: logits, target: classes.map((c, i) => (i === 200 ? C : c)) },
    ],
    [
      'a non-integer target',
      'cross_entropy',
      { input: logits, target: classes.map((c, i) => (i === 9 ? c + 0.5 : c)) },
    ],
    [
      'a target too large for int32',
      'nll_loss',
      { input: logits, target: classes.map((c, i) => (i === 9 ? 2 ** 31 : c)) },
    ],
    ['shapes that do not match', 'mse_loss', { input: logits, target: rows(() => 1, B, C - 1) }],
    ['ragged rows', 'mse_loss', { input: [...logits.slice(0, 10), [1, 2], ...logits.slice(10)], target: 0 }],
    [
      'NaN strings inside',
      'mse_loss',
      { input: rows((i, j) => (i === 3 && j === 5 ? ('NaN' as unknown as number) : i)), target: 0 },
    ],
    ['a big array under an unknown key', 'mse_loss', { input: logits, target: 0, extra: logits }],
    ['a big array as an option', 'cross_entropy', { input: logits, target: classes, label_smoothing: flatX }],
    ['a big array as reduction', 'mse_loss', { input: logits, target: 0, reduction: logits }],
    ['a big array in grad_wrt', 'mse_loss', { input: logits, target: 0, grad_wrt: flatX }],
    [
      'the same key twice',
      'mse_loss',
      `{"input":${JSON.stringify(logits)},"input":${JSON.stringify(rows(() => 2))},"target":0}`,
    ],
    [
      'a big array where an object is wanted',
      'mse_loss',
      { input: { shape: flatX.map(() => 1), data: [1] }, target: 0 },
    ],
    ['nested deeper than the maximum rank', 'mse_loss', { input: [[[[[[[[[flatX.slice(0, 2000)]]]]]]]]], target: 0 }],
    ['not JSON after the arrays', 'mse_loss', `{"input":${JSON.stringify(logits)},"target":0,}`],
    ['not JSON inside an array', 'mse_loss', `{"input":${JSON.stringify(logits).replace('],[', '],,[')},"target":0}`],
    [
      'beside a b64 value',
      'mse_loss',
      { input: logits, target: { shape: [B, C], dtype: 'float64', b64: b64(Float64Array.from(logits.flat())) } },
    ],
    ['over the element limit', 'mse_loss', { input: logits, target: 0 }, B * C - 1],
    ['over the element limit together', 'mse_loss', { input: logits, target: logits }, B * C + 10],
    ['numbers JSON.parse reads to 0 and Infinity', 'l1_loss', { input: rows(() => 1), target: 0 }],
  ];
  it.each(cases)('answers as the reference path: %s', (_name, loss, body, maxElements) => {
    const b = bytes(body);
    expect(viaWorker(loss, b, maxElements)).toBe(reference(loss, b, maxElements));
  });

  it('answers as the reference path with numbers at the edges of what JSON.parse reads', () => {
    const edge = ['1e-400', '1e400', '-0', '5e-324', `1${'0'.repeat(30)}`, '0.1e1', '123456789012345678901'];
    const text = `{"input":[${Array.from({ length: 4096 }, (_, i) => edge[i % edge.length]).join(',')}],"target":0,"reduction":"none"}`;
    expect(viaWorker('mse_loss', bytes(text))).toBe(reference('mse_loss', bytes(text)));
  });
});

describe('hostile large bodies through the array reader', () => {
  // each one answered exactly as the reference path answers it (a reader that stalled on one
  // would time the test out)
  const cases: [string, string][] = [
    ['a megabyte of opening brackets', `{"input":${'['.repeat(1 << 20)}`],
    [
      'brackets nested past the maximum rank, a million times',
      `{"input":[${'[[[[[[[[[1]]]]]]]]],'.repeat(50_000)}1],"target":0}`,
    ],
    ['a number of 200,000 digits', `{"input":[${'9'.repeat(200_000)},1],"target":0}`],
    [
      'exponents of 100,000 digits',
      `{"input":[${Array.from({ length: 20 }, () => `1e${'9'.repeat(5000)}`).join(',')}],"target":0}`,
    ],
    ['a body of digits only', '1'.repeat(300_000)],
    ['100,000 tiny arrays', `{"input":[${'[1],'.repeat(100_000)}[1]],"target":0}`],
    [
      '4096 arrays just over the cut size',
      `{"input":[${Array.from({ length: 4096 }, () => `[${'1,'.repeat(1023)}1]`).join(',')}],"target":0}`,
    ],
    ['a long array that ends in a string', `{"input":[${'0.5,'.repeat(100_000)}"x"],"target":0}`],
    ['a long array never closed', `{"input":[${'0.5,'.repeat(100_000)}`],
    ['a long array in a string, with escapes', `{"input":"\\"[${'1,'.repeat(100_000)}1]\\"","target":0}`],
    ['NUL bytes and stray bytes after the numbers', `{"input":[${'1,'.repeat(40_000)}1]\u0000,"target":0}`],
    [
      'numbers with every sign and exponent JSON forbids',
      `{"input":[${'+1,-,1e,.5,01,1.,-0x1,'.repeat(10_000)}1],"target":0}`,
    ],
  ];
  it.each(cases)('answers as the reference path: %s', (_name, text) => {
    const b = bytes(text);
    expect(viaWorker('mse_loss', b)).toBe(reference('mse_loss', b));
  });
});
