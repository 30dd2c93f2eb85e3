// The v2 pipeline against the v1 one: on random valid requests, a v2 request with binary
// tensors in and out answers the very bits a v1 request with b64 tensors does (one engine,
// two envelopes); and the v2 parameter rules that no shipped loss exercises (an option whose
// v1 value is a list or null travels as its JSON text).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PROBLEMS } from '../../src/errors.js';
import { runLoss } from '../../src/pipeline/run-loss.js';
import { runInfer } from '../../src/pipeline/run-v2.js';
import { findLoss } from '../../src/registry/index.js';
import { defineLoss } from '../../src/registry/types.js';

const limits = { maxElements: 1e6 };

type Dtype = 'float64' | 'float32';

interface Tensor {
  shape: number[];
  values: number[];
  int: boolean;
}

interface Case {
  loss: string;
  tensors: Record<string, Tensor>;
  options: Record<string, unknown>;
  dtype: Dtype;
  wrt: string[] | undefined;
}

const bytesOf = (t: Tensor, dtype: Dtype): Buffer => {
  if (t.int) return Buffer.from(BigInt64Array.from(t.values.map(BigInt)).buffer);
  return Buffer.from((dtype === 'float32' ? Float32Array : Float64Array).from(t.values).buffer);
};

/** The v1 body: b64 tensors, b64 answers. */
function v1Body(c: Case): Record<string, unknown> {
  const body: Record<string, unknown> = { ...c.options, dtype: c.dtype, encoding: 'b64' };
  for (const [name, t] of Object.entries(c.tensors)) {
    const dtype = t.int ? 'int64' : c.dtype;
    body[name] = { shape: t.shape, dtype, b64: bytesOf(t, c.dtype).toString('base64') };
  }
  if (c.wrt !== undefined) body.grad_wrt = c.wrt;
  return body;
}

/** The v2 body: every tensor binary, every output binary. */
function v2Body(c: Case): { body: Uint8Array; headerLength: string } {
  const tails: Buffer[] = [];
  const inputs = Object.entries(c.tensors).map(([name, t]) => {
    const bytes = bytesOf(t, c.dtype);
    tails.push(bytes);
    const datatype = t.int ? 'INT64' : c.dtype === 'float32' ? 'FP32' : 'FP64';
    return { name, shape: t.shape, datatype, parameters: { binary_data_size: bytes.length } };
  });
  const header: Record<string, unknown> = { inputs, parameters: { ...c.options, binary_data_output: true } };
  if (c.wrt !== undefined) header.outputs = [{ name: 'loss' }, ...c.wrt.map((a) => ({ name: `grad_${a}` }))];
  const json = Buffer.from(JSON.stringify(header));
  return { body: new Uint8Array(Buffer.concat([json, ...tails])), headerLength: String(json.length) };
}

const value = fc.double({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true });
const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
const reduction = fc.constantFrom('mean', 'sum', 'none');
const dtypeArb = fc.constantFrom<Dtype>('float64', 'float32');
const floats = (shape: number[]) =>
  fc
    .array(value, { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) })
    .map((values): Tensor => ({ shape, values, int: false }));

const pointwise = fc
  .tuple(
    fc.constantFrom('mse_loss', 'l1_loss', 'smooth_l1_loss', 'huber_loss', 'soft_margin_loss', 'log_cosh_loss'),
    shapeArb,
    reduction,
    dtypeArb,
    fc.subarray(['input', 'target']),
    fc.boolean(),
  )
  .chain(([loss, shape, red, dtype, wrt, explicit]) =>
    fc.tuple(floats(shape), floats(shape)).map(([input, target]): Case => {
      const targetGrad = loss !== 'soft_margin_loss';
      return {
        loss,
        tensors: { input, target },
        options: { reduction: red },
        dtype,
        wrt: explicit ? wrt.filter((a) => a === 'input' || targetGrad) : undefined,
      };
    }),
  );

const classification = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 6 }), reduction, dtypeArb, fc.boolean())
  .chain(([n, c, red, dtype, smooth]) =>
    fc.tuple(floats([n, c]), fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n })).map(
      ([input, target]): Case => ({
        loss: 'cross_entropy',
        tensors: { input, target: { shape: [n], values: target, int: true } },
        options: { reduction: red, ...(smooth ? { label_smoothing: 0.1 } : {}) },
        dtype,
        wrt: undefined,
      }),
    ),
  );

const bitsOf = (b64: string) => Buffer.from(b64, 'base64');

describe('v1 and v2 agree bit for bit', () => {
  it('on random valid requests (binary tensors in v2, b64 in v1)', () => {
    fc.assert(
      fc.property(fc.oneof(pointwise, classification), (c) => {
        const loss = findLoss(c.loss);
        if (loss === undefined) throw new Error(c.loss);
        const v1 = runLoss(loss, v1Body(c), limits);
        const { body, headerLength } = v2Body(c);
        const v2 = runInfer(loss, c.loss, body, headerLength, limits);
        expect(v1.ok).toBe(true);
        expect(v2.ok).toBe(true);
        if (!v1.ok || !v2.ok) return;
        const one = JSON.parse(v1.json) as { loss: number | { b64: string }; grad?: Record<string, { b64: string }> };
        const hl = v2.body.byteLength;
        const bytes = Buffer.concat([v2.body, ...(v2.parts ?? [])]);
        const head = JSON.parse(bytes.subarray(0, hl).toString('utf8')) as {
          outputs: Array<{ name: string; parameters: { binary_data_size: number } }>;
        };
        const size = c.dtype === 'float32' ? 4 : 8;
        let at = hl;
        for (const o of head.outputs) {
          const raw = bytes.subarray(at, at + o.parameters.binary_data_size);
          at += o.parameters.binary_data_size;
          let want: Buffer;
          if (o.name === 'loss') {
            want =
              typeof one.loss === 'number'
                ? Buffer.from((size === 4 ? Float32Array : Float64Array).of(one.loss).buffer)
                : bitsOf(one.loss.b64);
          } else {
            want = bitsOf(one.grad?.[o.name.slice(5)]?.b64 ?? '');
          }
          expect(raw.equals(want), `${c.loss} ${o.name}`).toBe(true);
        }
        expect(at).toBe(bytes.length);
        const names = head.outputs.map((o) => o.name).filter((n) => n !== 'loss');
        expect(names).toEqual(Object.keys(one.grad ?? {}).map((a) => `grad_${a}`));
      }),
      { numRuns: 300 },
    );
  });
});

// A loss with a list-or-null option, as several references have (classes to average over):
// the sum of the chosen entries of `input`.
const pick = defineLoss({
  name: 'pick_sum',
  aliases: [],
  summary: 'Sum of the chosen entries.',
  formula: 'L = Σ_{i ∈ classes} x_i',
  latex: '',
  reference: 'test only',
  args: [
    {
      name: 'input',
      kind: 'float',
      required: true,
      differentiable: true,
      gradByDefault: true,
      description: 'values',
    },
  ],
  options: z.object({ classes: z.array(z.int().min(0)).nullable().default(null) }),
  example: { input: [1, 2, 3] },
  check: () => ({ ok: true, lossShape: [], plan: null }),
  compute: (args, opts, _plan, grad, alloc) => {
    const x = (args.input as { data: Float64Array }).data;
    const chosen = opts.classes ?? x.map((_, i) => i);
    const gx = alloc(x.length);
    let sum = 0;
    for (const i of chosen) {
      sum += x[i] as number;
      gx[i] = grad.g;
    }
    const grads: Record<string, typeof gx> = grad.wrt.length > 0 ? { input: gx } : {};
    return { loss: sum, grads };
  },
});

function inferJson(header: Record<string, unknown>) {
  const out = runInfer(pick, 'pick_sum', new Uint8Array(Buffer.from(JSON.stringify(header))), undefined, limits);
  return out.ok ? { ok: true as const, body: JSON.parse(Buffer.from(out.body).toString('utf8')) } : out;
}

describe('parameters', () => {
  const inputs = [{ name: 'input', shape: [3], datatype: 'FP64', data: [1, 2, 4] }];
  const lossOf = (r: ReturnType<typeof inferJson>) =>
    r.ok ? (r.body as { outputs: Array<{ data: number[] }> }).outputs[0]?.data[0] : undefined;

  it('a list or null option travels as its JSON text', () => {
    expect(lossOf(inferJson({ inputs, parameters: { classes: '[0, 2]' } }))).toBe(5);
    expect(lossOf(inferJson({ inputs, parameters: { classes: 'null' } }))).toBe(7);
    expect(lossOf(inferJson({ inputs }))).toBe(7);
  });

  it('other text is refused at the parameter, as a wrong type is in v1', () => {
    for (const classes of ['[0, 2', '"x"', '0', 2, '[-1]']) {
      const r = inferJson({ inputs, parameters: { classes } });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors[0]?.path).toBe('/parameters/classes');
    }
  });
});

describe('parameters named like Object.prototype members', () => {
  const inputs = '[{"name":"input","shape":[3],"datatype":"FP64","data":[1,2,4]}]';
  const inferText = (text: string) => runInfer(pick, 'pick_sum', new Uint8Array(Buffer.from(text)), undefined, limits);

  it('are unknown parameters (a 4xx at the parameter), never an internal error', () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const r = inferText(`{"inputs":${inputs},"parameters":{"${key}":"x"}}`);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(PROBLEMS[r.code].status).toBe(400);
        expect(r.errors[0]?.path).toBe(`/parameters/${key}`);
      }
    }
  });

  it('"__proto__" is a key like any other, not the prototype of the options', () => {
    const r = inferText(`{"inputs":${inputs},"parameters":{"__proto__":{"classes":"[0, 2]"}}}`);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(PROBLEMS[r.code].status).toBe(400);
      expect(r.errors[0]?.path).toBe('/parameters/__proto__');
    }
  });
});
