// Checks that two servers give the same answer to the same request: the loss and every gradient
// within API.md's tolerance (relative 1e-9, absolute 1e-12 near zero), whatever the response's
// encoding (nested, flat or b64). Used before the peer is measured, and by bench/peer/check.ts.

import type { BenchBody } from '../http/bodies.js';

const REL = 1e-9;
const ABS = 1e-12;

type Json = number | string | null | boolean | Json[] | { [key: string]: Json };

/** A response tensor (or a reduced loss) as flat float64 values and its shape. */
function values(v: Json, where: string): { shape: number[]; data: Float64Array } {
  const num = (x: Json): number => {
    if (typeof x === 'number') return x;
    if (x === 'NaN') return Number.NaN;
    if (x === 'Infinity') return Number.POSITIVE_INFINITY;
    if (x === '-Infinity') return Number.NEGATIVE_INFINITY;
    throw new Error(`${where}: ${JSON.stringify(x)} is not a number`);
  };
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const shape = v.shape as number[];
    if (typeof v.b64 === 'string') {
      if (v.dtype !== 'float64') throw new Error(`${where}: dtype ${String(v.dtype)}, expected float64`);
      const bytes = Buffer.from(v.b64, 'base64');
      const data = new Float64Array(bytes.length / 8);
      for (let i = 0; i < data.length; i++) data[i] = bytes.readDoubleLE(i * 8);
      return { shape, data };
    }
    return { shape, data: Float64Array.from((v.data as Json[]).map(num)) };
  }
  const shape: number[] = [];
  for (let x: Json = v; Array.isArray(x); x = x[0] as Json) shape.push(x.length);
  const flat: number[] = [];
  const walk = (x: Json) => {
    if (Array.isArray(x)) for (const y of x) walk(y);
    else flat.push(num(x));
  };
  walk(v);
  return { shape, data: Float64Array.from(flat) };
}

export interface Agreement {
  readonly ok: boolean;
  /** Largest |a − b| / |b| over the loss and every gradient value (|b| ≥ 1e-3 only). */
  readonly maxRel: number;
  readonly values: number;
  readonly detail: string;
}

/** Compares response `a` with the reference `b` (both JSON text). */
export function agree(a: string, b: string): Agreement {
  const ra = JSON.parse(a) as { [key: string]: Json };
  const rb = JSON.parse(b) as { [key: string]: Json };
  let maxRel = 0;
  let count = 0;
  const problems: string[] = [];
  const compare = (x: Json | undefined, y: Json | undefined, where: string) => {
    if (x === undefined || y === undefined) {
      if (x !== y) problems.push(`${where}: present in only one answer`);
      return;
    }
    const va = values(x, where);
    const vb = values(y, where);
    if (va.shape.join(',') !== vb.shape.join(',')) {
      problems.push(`${where}: shape [${va.shape}] against [${vb.shape}]`);
      return;
    }
    if (va.data.length !== vb.data.length) {
      problems.push(`${where}: ${va.data.length} values against ${vb.data.length}`);
      return;
    }
    let bad = 0;
    let first = '';
    for (let i = 0; i < va.data.length; i++) {
      const p = va.data[i] as number;
      const q = vb.data[i] as number;
      count++;
      if (Object.is(p, q) || (Number.isNaN(p) && Number.isNaN(q))) continue;
      const d = Math.abs(p - q);
      if (Math.abs(q) >= 1e-3) maxRel = Math.max(maxRel, d / Math.abs(q));
      if (!(d <= REL * Math.abs(q) + ABS)) {
        if (bad++ === 0) first = `${where}[${i}]: ${p} against ${q}`;
      }
    }
    if (bad > 0) problems.push(`${bad} values differ, first ${first}`);
  };
  compare(ra.loss, rb.loss, '/loss');
  const ga = (ra.grad ?? {}) as { [key: string]: Json };
  const gb = (rb.grad ?? {}) as { [key: string]: Json };
  if ((ra.grad === undefined) !== (rb.grad === undefined)) problems.push('/grad: present in only one answer');
  for (const k of new Set([...Object.keys(ga), ...Object.keys(gb)])) compare(ga[k], gb[k], `/grad/${k}`);
  return {
    ok: problems.length === 0,
    maxRel,
    values: count,
    detail:
      problems.length === 0 ? `${count} values agree (max rel. diff ${maxRel.toExponential(1)})` : problems.join('; '),
  };
}

async function post(url: string, b: BenchBody): Promise<string> {
  const res = await fetch(`${url}${b.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new Uint8Array(b.body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}${b.path} (${b.name}): ${res.status} ${text.slice(0, 300)}`);
  return text;
}

/** Posts `b` to both servers and compares the peer's answer with lossd's. */
export async function sameAnswers(lossdUrl: string, peerUrl: string, b: BenchBody): Promise<Agreement> {
  const [a, p] = await Promise.all([post(lossdUrl, b), post(peerUrl, b)]);
  return agree(a, p);
}
