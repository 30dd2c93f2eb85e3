// The golden cases (PyTorch 1.13, float64 autograd; see test/golden/README.md) and the
// comparison rules of that README: |actual - expected| <= atol + rtol·|expected|, NaN only
// matches NaN, an infinity only itself, shapes exactly (nested empties up to the first 0).

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

export interface GoldenTensor {
  shape: number[];
  data: Array<number | string>;
}

export interface GoldenCase {
  id: string;
  loss?: string;
  request: Record<string, unknown>;
  expected: {
    status: number;
    loss?: number | string | GoldenTensor;
    grad?: Record<string, GoldenTensor>;
    hint?: string;
    /** errors[0].path the problem must carry (the cases that record it). */
    path?: string;
  };
  rtol?: number;
  atol?: number;
}

export interface GoldenFile {
  loss: string;
  differentiable: string[];
  cases: GoldenCase[];
}

export function loadGolden(dir = GOLDEN_DIR): GoldenFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as GoldenFile)
    .filter((g) => Array.isArray(g.cases));
}

const NONFINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };
const SIZES: Record<string, number> = { float32: 4, float64: 8, int32: 4, int64: 8 };

function scalar(x: unknown, where: string): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x in NONFINITE) return NONFINITE[x] as number;
  throw new Error(`${where}: expected a number or a non-finite string, got ${JSON.stringify(x)}`);
}

function nestedShape(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  if (v.length === 0) return [0];
  return [v.length, ...nestedShape(v[0])];
}

/** Any response tensor form → shape and values (independent of the service's decoder). */
export function readTensor(v: unknown, where: string): { shape: number[]; data: number[]; nested: boolean } {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as { shape: number[]; data?: unknown[]; b64?: string; dtype?: string };
    const count = o.shape.reduce((a, b) => a * b, 1);
    if (typeof o.b64 === 'string') {
      const size = SIZES[o.dtype ?? ''];
      if (size === undefined) throw new Error(`${where}: unknown b64 dtype ${o.dtype}`);
      const bytes = Buffer.from(o.b64, 'base64');
      if (bytes.length !== count * size) throw new Error(`${where}: ${bytes.length} bytes for ${count} values`);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const data = Array.from({ length: count }, (_, i) =>
        o.dtype === 'float32' ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true),
      );
      return { shape: o.shape, data, nested: false };
    }
    const data = (o.data ?? []).map((x, i) => scalar(x, `${where}/data/${i}`));
    if (data.length !== count) throw new Error(`${where}: ${data.length} values for shape [${o.shape}]`);
    return { shape: o.shape, data, nested: false };
  }
  return { shape: nestedShape(v), data: [v].flat(Infinity).map((x) => scalar(x, where)), nested: true };
}

export function close(actual: number, expected: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  if (!Number.isFinite(actual)) return false;
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

function shapeMatches(got: { shape: number[]; nested: boolean }, expected: number[]): boolean {
  if (JSON.stringify(got.shape) === JSON.stringify(expected)) return true;
  if (!got.nested || expected.reduce((a, b) => a * b, 1) !== 0) return false;
  return JSON.stringify(got.shape) === JSON.stringify(expected.slice(0, expected.indexOf(0) + 1));
}

function compareTensor(name: string, value: unknown, expected: GoldenTensor, rtol: number, atol: number): string[] {
  let got: ReturnType<typeof readTensor>;
  try {
    got = readTensor(value, name);
  } catch (e) {
    return [(e as Error).message];
  }
  if (!shapeMatches(got, expected.shape)) return [`${name}: shape [${got.shape}], expected [${expected.shape}]`];
  const want = expected.data.map((x) => scalar(x, name));
  const bad = want.flatMap((e, i) => (close(got.data[i] as number, e, rtol, atol) ? [] : [i]));
  if (bad.length === 0) return [];
  const i = bad[0] as number;
  return [`${name}[${i}] = ${got.data[i]}, expected ${want[i]} (${bad.length} of ${want.length} differ)`];
}

/** Problems with a 200 answer's body; empty when it matches the case. */
export function compareBody(c: GoldenCase, body: Record<string, unknown>): string[] {
  const rtol = c.rtol ?? 1e-9;
  const atol = c.atol ?? 1e-12;
  const exp = c.expected;
  const problems: string[] = [];
  if (typeof exp.loss === 'object') {
    problems.push(...compareTensor('loss', body.loss, exp.loss, rtol, atol));
  } else if (!close(scalar(body.loss, 'loss'), scalar(exp.loss, 'expected loss'), rtol, atol)) {
    problems.push(`loss = ${body.loss}, expected ${exp.loss}`);
  }
  const grads = (body.grad ?? {}) as Record<string, unknown>;
  const wantNames = Object.keys(exp.grad ?? {}).sort();
  if (JSON.stringify(Object.keys(grads).sort()) !== JSON.stringify(wantNames)) {
    problems.push(`grad has {${Object.keys(grads)}}, expected {${wantNames}}`);
  }
  for (const [arg, t] of Object.entries(exp.grad ?? {})) {
    if (grads[arg] !== undefined) problems.push(...compareTensor(`grad.${arg}`, grads[arg], t, rtol, atol));
  }
  return problems;
}

/** Problems with an answer (status + parsed body); empty when it matches the case. */
export function judge(c: GoldenCase, status: number, body: unknown): string[] {
  if (status !== c.expected.status) {
    const detail = (body as { detail?: string } | undefined)?.detail;
    return [
      `status ${status}, expected ${c.expected.status}${detail ? ` (${detail})` : ''}${c.expected.hint ? ` [torch: ${c.expected.hint}]` : ''}`,
    ];
  }
  if (status !== 200) {
    const problem = body as { status?: number; errors?: Array<{ path?: string }> };
    if (problem.status !== status) return ['problem body status field differs'];
    const path = problem.errors?.[0]?.path;
    if (c.expected.path !== undefined && path !== c.expected.path) {
      return [`errors[0].path is ${JSON.stringify(path)}, expected ${JSON.stringify(c.expected.path)}`];
    }
    return [];
  }
  return compareBody(c, body as Record<string, unknown>);
}
