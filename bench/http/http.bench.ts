// HTTP: autocannon against the real server (dist/, 2 workers) and, as the baseline, a bare
// Fastify route that parses the same body and answers a constant, both in their own process.
//
//   small   cross_entropy 32×10, 16 connections: req/s against the bare route's
//   medium  mse_loss 1e4, 8 connections: req/s against the bare route's
//   large   cross_entropy 1024×1000 nested JSON: p50 at 1 connection, against the bare route's;
//           req/s at 4 connections against 1 connection, and the cores the server used then
//   b64     the same large request in b64 (response in b64): p50 at 1 connection against the
//           worker's own work on the same bytes (parse, decode, kernel, encode) measured alone
//   v2      the same large request through the Open Inference Protocol v2, binary tensors in
//           and out: p50 at 1 connection against v1 b64's, interleaved (target: ≤ 0.8×), timed
//           by a plain node:http client (see the row)
//
// Runs of lossd and of the bare server alternate, repeat by repeat.
//
// The peer (bench/peer/app.py, FastAPI + uvicorn + PyTorch, what a Python team would write
// instead) is measured in the same run on every one of those loads, interleaved with lossd
// repeat by repeat, once its answers to the same bodies are checked against lossd's (1e-9);
// its rows ("vs FastAPI") give lossd's req/s, p50 and p99 as ratios against the peer's. Where
// it cannot run (no Debian python3-torch etc.: npm run bench:peer-setup), or in --quick without
// --peer, one row says so and the rest is measured as before.

import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import autocannon, { type Result } from 'autocannon';
import handle from '../../src/pool/worker.js';
import type { Row } from '../lib/report.js';
import { peerUnavailable, type Running, startBare, startLossd, startPeer } from '../lib/servers.js';
import { summarize } from '../lib/stats.js';
import { sameAnswers } from '../peer/verify.js';
import { type BenchBody, crossEntropyB64, crossEntropyNested, crossEntropyV2Binary, mseNested } from './bodies.js';

export interface HttpOptions {
  readonly quick: boolean;
  /** Measure the Python peer too (where it can run). */
  readonly peer: boolean;
}

export const PEER_NAME = 'FastAPI+PyTorch';

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
    headers: { 'content-type': 'application/json', ...b.headers },
    connections: load.connections,
    timeout: 120,
    // autocannon ends a run on its sampling tick (1 s by default), so a fixed amount's duration
    // would be rounded up to whole seconds: sample every 50 ms there (req/s = total / duration)
    ...(load.amount !== undefined ? { amount: load.amount, sampleInt: 50 } : { duration: load.duration ?? 5 }),
  });
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`${b.name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  return r;
}

/** p50 of `amount` requests sent one after another by node:http, each response read whole (ms). */
async function sequentialP50(server: Running, b: BenchBody, amount: number): Promise<number> {
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const headers = { 'content-type': 'application/json', ...b.headers, 'content-length': String(b.body.length) };
      const req = httpRequest(`${server.url}${b.path}`, { method: 'POST', headers }, (res) => {
        res.on('data', () => {});
        res.on('end', () =>
          res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${b.name}: ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end(b.body);
    });
  const times: number[] = [];
  for (let i = 0; i < amount; i++) times.push(await once());
  return med(times);
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

/** One autocannon run: req/s and latency percentiles (ms). */
interface Figures {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

/** req/s as the mean of per-second counts for a timed run, completed / elapsed for a fixed amount. */
function figures(r: Result, timed: boolean): Figures {
  return { rps: timed ? r.requests.average : r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99 };
}

/** CPU seconds of every process in a process group (the peer: uvicorn and its workers). */
function groupCpuSeconds(pgid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      if (Number(fields[2]) === pgid) total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** A row saying why the peer was not measured. */
export function peerMissing(suite: Row['suite'], why: string): Row {
  return {
    suite,
    case: `vs ${PEER_NAME}: not measured (${why})`,
    value: Number.NaN,
    unit: '',
    baseline: PEER_NAME,
    baselineValue: Number.NaN,
    ratio: Number.NaN,
    spread: 0,
    repeats: 0,
  };
}

/**
 * Starts the peer if it can run here and is wanted; otherwise says why not. `check` are the
 * bodies whose answers must match lossd's before anything is measured.
 */
export async function peerOrWhy(
  wanted: boolean,
  lossd: Running,
  check: readonly BenchBody[],
  log: (s: string) => void,
): Promise<{ peer?: Running; why?: string }> {
  if (!wanted) return { why: 'skipped in --quick; pass --peer' };
  const why = peerUnavailable();
  if (why !== undefined) {
    log(`  peer unavailable: ${why}`);
    return { why };
  }
  let peer: Running;
  try {
    peer = await startPeer(2);
  } catch (e) {
    log(`  peer did not start: ${(e as Error).message}`);
    return { why: `did not start: ${(e as Error).message}` };
  }
  for (const b of check) {
    const r = await sameAnswers(lossd.url, peer.url, b).catch((e: Error) => ({ ok: false, detail: e.message }));
    log(`  peer ${r.ok ? 'agrees with' : 'DIFFERS from'} lossd on ${b.name}: ${r.detail}`);
    if (!r.ok) {
      await peer.stop();
      return { why: `its answers differ from lossd's on ${b.name}` };
    }
  }
  return { peer };
}

/** lossd against the peer on one load: req/s, p50 and p99, each as per-repeat ratios. */
function peerRows(load: string, s: readonly Figures[], p: readonly Figures[], note = ''): Row[] {
  const ratios = (f: (x: Figures) => number) => s.map((x, i) => f(x) / f(p[i] as Figures));
  const out = (stat: 'rps' | 'p50' | 'p99', target: Row['target']) =>
    row(
      `vs ${PEER_NAME}: ${load}, ${stat === 'rps' ? 'req/s' : stat}`,
      med(s.map((x) => x[stat])),
      stat === 'rps' ? 'req/s' : 'ms',
      stat === 'rps' ? PEER_NAME : `${PEER_NAME} ${stat}`,
      med(p.map((x) => x[stat])),
      ratios((x) => x[stat]),
      { target, note: `lossd / peer per repeat${note ? `; ${note}` : ''}` },
    );
  return [
    out('rps', { on: 'ratio', op: '>=', limit: 1 }),
    out('p50', undefined),
    out('p99', { on: 'ratio', op: '<=', limit: 1 }),
  ];
}

interface Measured {
  readonly subject: Figures[];
  readonly base: Figures[];
  readonly peer: Figures[];
  /** subject / base req/s, per repeat */
  readonly ratio: number[];
}

/**
 * req/s of lossd against the bare server (and the peer, when there is one), interleaved repeat
 * by repeat: bare, lossd, peer, then peer, lossd, bare, ...
 */
async function throughput(
  lossd: Running,
  bare: Running,
  peer: Running | undefined,
  b: BenchBody,
  connections: number,
  seconds: number,
  repeats: number,
): Promise<Measured> {
  await fire(lossd, b, { connections, duration: 1 });
  await fire(bare, b, { connections, duration: 1 });
  if (peer) await fire(peer, b, { connections, duration: 1 });
  const m: Measured = { subject: [], base: [], peer: [], ratio: [] };
  for (let k = 0; k < repeats; k++) {
    const order: [Running, Figures[]][] = [
      [bare, m.base],
      [lossd, m.subject],
    ];
    if (peer) order.push([peer, m.peer]);
    if (k % 2 === 1) order.reverse();
    for (const [server, into] of order)
      into.push(figures(await fire(server, b, { connections, duration: seconds }), true));
    m.ratio.push((m.subject[k] as Figures).rps / (m.base[k] as Figures).rps);
  }
  return m;
}

/** The worker's whole task on `b` in this process, in ms (median of `repeats`). */
function alone(b: BenchBody, repeats: number): number[] {
  const loss = b.path.split('/').pop() as string;
  const bytes = new Uint8Array(b.body);
  const times: number[] = [];
  for (let k = 0; k < repeats + 2; k++) {
    const t0 = performance.now();
    const r = handle({ kind: 'loss', loss, body: bytes, maxElements: 1 << 26 });
    const t = performance.now() - t0;
    if (r !== true && 'ok' in r && !r.ok) throw new Error(`${b.name}: ${r.detail}`);
    if (k >= 2) times.push(t);
  }
  return times;
}

export async function runHttp(opts: HttpOptions, log: (s: string) => void): Promise<Row[]> {
  const { quick } = opts;
  const rows: Row[] = [];
  const peerRowsAll: Row[] = [];
  const seconds = quick ? 1 : 5;
  const repeats = quick ? 1 : 3;
  const [N, C] = quick ? [128, 1000] : [1024, 1000];
  const small = crossEntropyNested(32, 10);
  const medium = mseNested(10_000);
  const large = crossEntropyNested(N, C);
  const b64 = crossEntropyB64(N, C);
  const lossd = await startLossd(2);
  const bare = await startBare();
  const { peer, why } = await peerOrWhy(opts.peer, lossd, [small, medium, large, b64], log);
  try {
    const t1 = await throughput(lossd, bare, peer, small, 16, seconds, repeats);
    const p50s = (xs: Figures[]) => med(xs.map((x) => x.p50));
    const rpss = (xs: Figures[]) => xs.map((x) => x.rps);
    rows.push(
      row(`${small.name}, 16 conns`, med(rpss(t1.subject)), 'req/s', 'bare Fastify', med(rpss(t1.base)), t1.ratio, {
        target: { on: 'ratio', op: '>=', limit: 0.6 },
        note: `p50 ${p50s(t1.subject)} ms`,
      }),
    );
    if (peer) peerRowsAll.push(...peerRows(`${small.name}, 16 conns`, t1.subject, t1.peer));
    log(
      `  small: ${med(rpss(t1.subject)).toFixed(0)} req/s, bare ${med(rpss(t1.base)).toFixed(0)}${peer ? `, peer ${med(rpss(t1.peer)).toFixed(0)}` : ''}`,
    );

    const t2 = await throughput(lossd, bare, peer, medium, 8, seconds, repeats);
    rows.push(
      row(`${medium.name}, 8 conns`, med(rpss(t2.subject)), 'req/s', 'bare Fastify', med(rpss(t2.base)), t2.ratio, {
        note: `p50 ${p50s(t2.subject)} ms`,
      }),
    );
    if (peer) peerRowsAll.push(...peerRows(`${medium.name}, 8 conns`, t2.subject, t2.peer));
    log(
      `  medium: ${med(rpss(t2.subject)).toFixed(0)} req/s, bare ${med(rpss(t2.base)).toFixed(0)}${peer ? `, peer ${med(rpss(t2.peer)).toFixed(0)}` : ''}`,
    );

    // large nested JSON: latency at 1 connection, then 4 connections
    const amount1 = quick ? 2 : 15;
    await fire(lossd, large, { connections: 1, amount: 2 });
    await fire(bare, large, { connections: 1, amount: 2 });
    if (peer) await fire(peer, large, { connections: 1, amount: 2 });
    const one: Measured = { subject: [], base: [], peer: [], ratio: [] };
    for (let k = 0; k < repeats; k++) {
      const order: [Running, Figures[]][] = [
        [lossd, one.subject],
        [bare, one.base],
      ];
      if (peer) order.push([peer, one.peer]);
      if (k % 2 === 1) order.reverse();
      for (const [server, into] of order) {
        into.push(figures(await fire(server, large, { connections: 1, amount: amount1 }), false));
      }
      one.ratio.push((one.subject[k] as Figures).p50 / (one.base[k] as Figures).p50);
    }
    rows.push(
      row(`${large.name}, p50 at 1 conn`, p50s(one.subject), 'ms', 'bare Fastify p50', p50s(one.base), one.ratio, {
        target: { on: 'value', op: '<=', limit: 450 },
        note: `body ${(large.body.length / 1e6).toFixed(1)} MB`,
      }),
    );
    if (peer) peerRowsAll.push(...peerRows(`${large.name}, 1 conn`, one.subject, one.peer));
    log(
      `  large nested: p50 ${p50s(one.subject)} ms, bare ${p50s(one.base)} ms${peer ? `, peer ${p50s(one.peer)} ms` : ''}`,
    );

    const amount4 = quick ? 4 : 24;
    const repeats4 = peer ? repeats : 1;
    const four: Measured = { subject: [], base: [], peer: [], ratio: [] };
    const cores: number[] = [];
    const clientCores: number[] = [];
    const peerCores: number[] = [];
    const runLossd4 = async () => {
      const cpu0 = cpuSeconds(lossd.pid);
      const client0 = process.cpuUsage();
      const w0 = performance.now();
      four.subject.push(figures(await fire(lossd, large, { connections: 4, amount: amount4 }), false));
      const wall = (performance.now() - w0) / 1000;
      cores.push((cpuSeconds(lossd.pid) - cpu0) / wall);
      const client = process.cpuUsage(client0);
      clientCores.push((client.user + client.system) / 1e6 / wall);
    };
    const runPeer4 = async (p: Running) => {
      const cpu0 = groupCpuSeconds(p.pid);
      const w0 = performance.now();
      four.peer.push(figures(await fire(p, large, { connections: 4, amount: amount4 }), false));
      peerCores.push((groupCpuSeconds(p.pid) - cpu0) / ((performance.now() - w0) / 1000));
    };
    for (let k = 0; k < repeats4; k++) {
      if (peer && k % 2 === 1) await runPeer4(peer);
      await runLossd4();
      if (peer && k % 2 === 0) await runPeer4(peer);
    }
    const rps1 = med(rpss(one.subject));
    const rps4 = med(rpss(four.subject));
    rows.push(
      row(
        `${large.name}, req/s at 4 conns`,
        rps4,
        'req/s',
        'lossd at 1 conn',
        rps1,
        rpss(four.subject).map((x) => x / rps1),
        { note: `server CPU ${med(cores).toFixed(2)} cores; p50 ${p50s(four.subject)} ms` },
      ),
    );
    rows.push({
      suite: 'http',
      case: `${large.name}, server CPU at 4 conns`,
      value: med(cores),
      unit: 'cores',
      baseline: 'cores on the machine',
      baselineValue: 2,
      ratio: med(cores) / 2,
      spread: summarize(cores).spread,
      repeats: cores.length,
      target: { on: 'value', op: '>=', limit: 1.5 },
      note: `CPU seconds of the server process (all threads) over wall seconds; the load generator (this process) used ${med(clientCores).toFixed(2)} cores meanwhile`,
    });
    if (peer) {
      peerRowsAll.push(
        ...peerRows(
          `${large.name}, 4 conns`,
          four.subject,
          four.peer,
          `peer CPU ${med(peerCores).toFixed(2)} cores (uvicorn and its workers), lossd ${med(cores).toFixed(2)}`,
        ),
      );
    }
    log(
      `  large nested x4: ${rps4.toFixed(2)} req/s (1 conn ${rps1.toFixed(2)}), server ${med(cores).toFixed(2)} cores${peer ? `; peer ${med(rpss(four.peer)).toFixed(2)} req/s, ${med(peerCores).toFixed(2)} cores` : ''}`,
    );

    // large b64: latency at 1 connection against the same work done alone
    await fire(lossd, b64, { connections: 1, amount: 2 });
    if (peer) await fire(peer, b64, { connections: 1, amount: 2 });
    const solo: number[] = [];
    const latB: Figures[] = [];
    const peerB: Figures[] = [];
    const br: number[] = [];
    const amountB = quick ? 2 : 20;
    for (let k = 0; k < repeats; k++) {
      const a = med(alone(b64, quick ? 2 : 5));
      if (peer && k % 2 === 1) peerB.push(figures(await fire(peer, b64, { connections: 1, amount: amountB }), false));
      const s = figures(await fire(lossd, b64, { connections: 1, amount: amountB }), false);
      if (peer && k % 2 === 0) peerB.push(figures(await fire(peer, b64, { connections: 1, amount: amountB }), false));
      solo.push(a);
      latB.push(s);
      br.push(s.p50 / a);
    }
    rows.push(
      row(`${b64.name}, p50 at 1 conn`, p50s(latB), 'ms', 'parse+decode+kernel+encode alone', med(solo), br, {
        target: { on: 'ratio', op: '<=', limit: 2 },
        note: `body ${(b64.body.length / 1e6).toFixed(1)} MB`,
      }),
    );
    if (peer) peerRowsAll.push(...peerRows(`${b64.name}, 1 conn`, latB, peerB));
    log(`  large b64: p50 ${p50s(latB)} ms, alone ${med(solo).toFixed(1)} ms${peer ? `, peer ${p50s(peerB)} ms` : ''}`);

    // the same large request through the Open Inference Protocol v2, binary tensors in and out,
    // against v1 b64, interleaved repeat by repeat. Timed with a plain node:http client (one
    // request at a time, the whole response read): autocannon's own per-response costs on these
    // 8-11 MB answers exceed the server's (its p50 is 2-4x this client's for both) and differ
    // with the payload, so its figure is kept in the note only.
    const v2 = crossEntropyV2Binary(N, C);
    await fire(lossd, v2, { connections: 1, amount: 2 });
    const latV2: number[] = [];
    const latV1: number[] = [];
    const vr: number[] = [];
    for (let k = 0; k < repeats; k++) {
      const order: [BenchBody, number[]][] = [
        [v2, latV2],
        [b64, latV1],
      ];
      if (k % 2 === 1) order.reverse();
      for (const [body, into] of order) into.push(await sequentialP50(lossd, body, amountB));
      vr.push((latV2[k] as number) / (latV1[k] as number));
    }
    const acV2 = figures(await fire(lossd, v2, { connections: 1, amount: amountB }), false).p50;
    const acV1 = figures(await fire(lossd, b64, { connections: 1, amount: amountB }), false).p50;
    rows.push(
      row(`${v2.name}, p50 at 1 conn`, med(latV2), 'ms', 'v1 b64 p50', med(latV1), vr, {
        target: { on: 'ratio', op: '<=', limit: 0.8 },
        note: `node:http client; body ${(v2.body.length / 1e6).toFixed(1)} MB (v1 b64: ${(b64.body.length / 1e6).toFixed(1)} MB); autocannon p50 ${acV2} ms vs ${acV1} ms`,
      }),
    );
    log(
      `  large v2 binary: p50 ${med(latV2).toFixed(1)} ms, v1 b64 ${med(latV1).toFixed(1)} ms (autocannon: ${acV2} vs ${acV1})`,
    );
  } finally {
    await Promise.all([lossd.stop(), bare.stop(), peer?.stop()]);
  }
  rows.push(...(peer ? peerRowsAll : [peerMissing('http', why ?? 'unknown')]));
  return rows;
}
