// HTTP: autocannon against the real server (dist/, 2 workers) and, as the baseline, a bare
// Fastify route that parses the same body and answers a constant, both in their own process.
//
//   small   cross_entropy 32×10, 16 connections: req/s against the bare route's
//   medium  mse_loss 1e4, 8 connections: req/s against the bare route's
//   large   cross_entropy 1024×1000 nested JSON: p50 at 1 connection, against the bare route's;
//           req/s at 4 connections against 1 connection, and the cores the server used then
//   b64     the same large request in b64 (response in b64): p50 at 1 connection against the
//           worker's own work on the same bytes (parse, decode, kernel, encode) measured alone
//
// Runs of lossd and of the bare server alternate, repeat by repeat.

import { readFileSync } from 'node:fs';
import autocannon, { type Result } from 'autocannon';
import handle from '../../src/pool/worker.js';
import type { Row } from '../lib/report.js';
import { type Running, startBare, startLossd } from '../lib/servers.js';
import { summarize } from '../lib/stats.js';
import { type BenchBody, crossEntropyB64, crossEntropyNested, mseNested } from './bodies.js';

export interface HttpOptions {
  readonly quick: boolean;
}

interface Load {
  readonly connections: number;
  readonly duration?: number;
  readonly amount?: number;
}

export async function fire(server: Running, b: BenchBody, load: Load): Promise<Result> {
  const r = await autocannon({
    url: `${server.url}${b.path}`,
    method: 'POST',
    body: b.body,
    headers: { 'content-type': 'application/json' },
    connections: load.connections,
    timeout: 120,
    ...(load.amount !== undefined ? { amount: load.amount } : { duration: load.duration ?? 5 }),
  });
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`${b.name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  return r;
}

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // after "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based)
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function row(
  name: string,
  value: number,
  unit: string,
  baseline: string,
  baselineValue: number,
  ratios: number[],
  extra: Partial<Row> = {},
): Row {
  const r = summarize(ratios);
  return {
    suite: 'http',
    case: name,
    value,
    unit,
    baseline,
    baselineValue,
    ratio: r.median,
    spread: r.spread,
    repeats: r.n,
    ...extra,
  };
}

const med = (xs: number[]) => summarize(xs).median;

/** req/s of lossd against the bare server, alternating, `repeats` times. */
async function throughput(
  lossd: Running,
  bare: Running,
  b: BenchBody,
  connections: number,
  seconds: number,
  repeats: number,
): Promise<{ subject: number[]; base: number[]; ratio: number[]; p50: number[] }> {
  await fire(lossd, b, { connections, duration: 1 });
  await fire(bare, b, { connections, duration: 1 });
  const subject: number[] = [];
  const base: number[] = [];
  const ratio: number[] = [];
  const p50: number[] = [];
  for (let k = 0; k < repeats; k++) {
    let s: Result;
    let t: Result;
    if (k % 2 === 0) {
      t = await fire(bare, b, { connections, duration: seconds });
      s = await fire(lossd, b, { connections, duration: seconds });
    } else {
      s = await fire(lossd, b, { connections, duration: seconds });
      t = await fire(bare, b, { connections, duration: seconds });
    }
    subject.push(s.requests.average);
    base.push(t.requests.average);
    ratio.push(s.requests.average / t.requests.average);
    p50.push(s.latency.p50);
  }
  return { subject, base, ratio, p50 };
}

/** The worker's whole task on `b` in this process, in ms (median of `repeats`). */
function alone(b: BenchBody, repeats: number): number[] {
  const loss = b.path.split('/').pop() as string;
  const bytes = new Uint8Array(b.body);
  const times: number[] = [];
  for (let k = 0; k < repeats + 2; k++) {
    const t0 = performance.now();
    const r = handle({ kind: 'loss', loss, body: bytes, raw: true, maxElements: 1 << 26 });
    const t = performance.now() - t0;
    if (r !== true && 'ok' in r && !r.ok) throw new Error(`${b.name}: ${r.detail}`);
    if (k >= 2) times.push(t);
  }
  return times;
}

export async function runHttp(opts: HttpOptions, log: (s: string) => void): Promise<Row[]> {
  const { quick } = opts;
  const rows: Row[] = [];
  const seconds = quick ? 1 : 5;
  const repeats = quick ? 1 : 3;
  const [N, C] = quick ? [128, 1000] : [1024, 1000];
  const lossd = await startLossd(2);
  const bare = await startBare();
  try {
    const small = crossEntropyNested(32, 10);
    const t1 = await throughput(lossd, bare, small, 16, seconds, repeats);
    rows.push(
      row(`${small.name}, 16 conns`, med(t1.subject), 'req/s', 'bare Fastify', med(t1.base), t1.ratio, {
        target: { on: 'ratio', op: '>=', limit: 0.6 },
        note: `p50 ${med(t1.p50)} ms`,
      }),
    );
    log(`  small: ${med(t1.subject).toFixed(0)} req/s, bare ${med(t1.base).toFixed(0)} req/s`);

    const medium = mseNested(10_000);
    const t2 = await throughput(lossd, bare, medium, 8, seconds, repeats);
    rows.push(
      row(`${medium.name}, 8 conns`, med(t2.subject), 'req/s', 'bare Fastify', med(t2.base), t2.ratio, {
        note: `p50 ${med(t2.p50)} ms`,
      }),
    );
    log(`  medium: ${med(t2.subject).toFixed(0)} req/s, bare ${med(t2.base).toFixed(0)} req/s`);

    // large nested JSON: latency at 1 connection, then 4 connections
    const large = crossEntropyNested(N, C);
    const amount1 = quick ? 2 : 15;
    await fire(lossd, large, { connections: 1, amount: 2 });
    await fire(bare, large, { connections: 1, amount: 2 });
    const lat: number[] = [];
    const latBare: number[] = [];
    const lr: number[] = [];
    const rps1: number[] = [];
    for (let k = 0; k < repeats; k++) {
      const s = await fire(lossd, large, { connections: 1, amount: amount1 });
      const t = await fire(bare, large, { connections: 1, amount: amount1 });
      lat.push(s.latency.p50);
      latBare.push(t.latency.p50);
      lr.push(s.latency.p50 / t.latency.p50);
      rps1.push(s.requests.total / s.duration);
    }
    rows.push(
      row(`${large.name}, p50 at 1 conn`, med(lat), 'ms', 'bare Fastify p50', med(latBare), lr, {
        target: { on: 'value', op: '<=', limit: 450 },
        note: `body ${(large.body.length / 1e6).toFixed(1)} MB`,
      }),
    );
    log(`  large nested: p50 ${med(lat)} ms, bare ${med(latBare)} ms`);

    const amount4 = quick ? 4 : 24;
    const cpu0 = cpuSeconds(lossd.pid);
    const client0 = process.cpuUsage();
    const w0 = performance.now();
    const s4 = await fire(lossd, large, { connections: 4, amount: amount4 });
    const wall = (performance.now() - w0) / 1000;
    const cores = (cpuSeconds(lossd.pid) - cpu0) / wall;
    const client = process.cpuUsage(client0);
    const clientCores = (client.user + client.system) / 1e6 / wall;
    const rps4 = s4.requests.total / s4.duration;
    rows.push(
      row(`${large.name}, req/s at 4 conns`, rps4, 'req/s', 'lossd at 1 conn', med(rps1), [rps4 / med(rps1)], {
        note: `server CPU ${cores.toFixed(2)} cores; p50 ${s4.latency.p50} ms`,
      }),
    );
    rows.push({
      suite: 'http',
      case: `${large.name}, server CPU at 4 conns`,
      value: cores,
      unit: 'cores',
      baseline: 'cores on the machine',
      baselineValue: 2,
      ratio: cores / 2,
      spread: 0,
      repeats: 1,
      target: { on: 'value', op: '>=', limit: 1.5 },
      note: `CPU seconds of the server process (all threads) over wall seconds; the load generator (this process) used ${clientCores.toFixed(2)} cores meanwhile`,
    });
    log(
      `  large nested x4: ${rps4.toFixed(2)} req/s (1 conn ${med(rps1).toFixed(2)}), server ${cores.toFixed(2)} cores`,
    );

    // large b64: latency at 1 connection against the same work done alone
    const b64 = crossEntropyB64(N, C);
    await fire(lossd, b64, { connections: 1, amount: 2 });
    const solo: number[] = [];
    const latB: number[] = [];
    const br: number[] = [];
    for (let k = 0; k < repeats; k++) {
      const a = med(alone(b64, quick ? 2 : 5));
      const s = await fire(lossd, b64, { connections: 1, amount: quick ? 2 : 20 });
      solo.push(a);
      latB.push(s.latency.p50);
      br.push(s.latency.p50 / a);
    }
    rows.push(
      row(`${b64.name}, p50 at 1 conn`, med(latB), 'ms', 'parse+decode+kernel+encode alone', med(solo), br, {
        target: { on: 'ratio', op: '<=', limit: 2 },
        note: `body ${(b64.body.length / 1e6).toFixed(1)} MB`,
      }),
    );
    log(`  large b64: p50 ${med(latB)} ms, alone ${med(solo).toFixed(1)} ms`);
  } finally {
    await lossd.stop();
    await bare.stop();
  }
  return rows;
}
