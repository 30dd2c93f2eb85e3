// Event loop: how long GET /healthz takes, sampled every 10 ms, while 4 clients post the large
// nested-JSON request (cross_entropy 1024×1000) without pause; against the same sampling of an
// idle server. The load comes from autocannon in a child process, so that its own work (20 MB
// bodies each way) cannot delay the sampler, and at a lower priority (nice 10), since remote
// clients would not take the server's cores; samples are fired on schedule whether or not the
// previous one has answered (no coordinated omission).
//
// The Python peer (bench/peer/app.py) is sampled the same way under the same load, in rounds
// interleaved with lossd's (lossd, peer, peer, lossd); its rows give lossd's /healthz p50 and
// p99 under load as ratios against the peer's.
//
// A gzip variant: the same request gzip-compressed (content-encoding: gzip), so that the main
// thread also streams every body through the decoder (src/http/body-reader.ts); its rows give
// /healthz p50 and p99 against the same idle sampling, and p99 against the plain JSON load.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Row } from '../lib/report.js';
import { type Running, startLossd } from '../lib/servers.js';
import { percentile, summarize } from '../lib/stats.js';
import { crossEntropyNested } from './bodies.js';
import { PEER_NAME, peerMissing, peerOrWhy } from './http.bench.js';

const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));
const LOAD = fileURLToPath(new URL('./load.ts', import.meta.url));

/** /healthz latencies in ms, one request every `everyMs` for `ms`. */
async function sample(server: Running, ms: number, everyMs = 10): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL('/healthz', server.url);
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const once = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = request(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end();
    });
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (performance.now() - start >= ms) {
        clearInterval(timer);
        resolve();
        return;
      }
      pending.push(once());
    }, everyMs);
  });
  await Promise.all(pending);
  agent.destroy();
  return latencies;
}

interface UnderLoad {
  readonly idle: number[];
  readonly loaded: number[];
  /** large requests answered during the loaded sampling's run */
  readonly completed: number;
}

/**
 * /healthz sampled on the idle server, then while 4 clients post `file` for `seconds`; with
 * `gzip`, the file is gzip and is sent as such (content-encoding: gzip, bytes as they are).
 */
async function underLoad(server: Running, file: string, path: string, seconds: number, idleMs: number, gzip = false) {
  await sample(server, 500);
  const idle = await sample(server, idleMs);
  const args = gzip
    ? ['--import', 'tsx', LOAD, `${server.url}${path}`, file, String(seconds), '4', 'content-encoding=gzip']
    : [
        AUTOCANNON,
        '-c',
        '4',
        '-d',
        String(seconds),
        '-m',
        'POST',
        '-H',
        'content-type=application/json',
        '-i',
        file,
        '-j',
        `${server.url}${path}`,
      ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  // The load generator shares this machine's cores with the server, as remote clients would
  // not: it runs at a lower priority so that what is measured is the server's event loop.
  try {
    if (child.pid !== undefined) setPriority(child.pid, 10);
  } catch {
    // not permitted: leave it be
  }
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // let the four clients get going, then sample through the rest of the run
  await new Promise((r) => setTimeout(r, 1500));
  const loaded = await sample(server, (seconds - 2.5) * 1000);
  await done;
  let completed = Number.NaN;
  try {
    const result = JSON.parse(out) as { requests: { total: number }; non2xx: number };
    completed = result.requests.total - result.non2xx;
  } catch {
    // no summary: leave NaN in the note
  }
  return { idle, loaded, completed } satisfies UnderLoad;
}

/** The gzip variant's rows: /healthz under gzip load against idle, and p99 against plain JSON load. */
function gzipRows(zipped: UnderLoad, plain: UnderLoad[], name: string, ratio: string, seconds: number): Row[] {
  const row = (stat: 'p50' | 'p99'): Row => {
    const p = stat === 'p50' ? 50 : 99;
    const a = percentile(zipped.loaded, p);
    const b = percentile(zipped.idle, p);
    return {
      suite: 'event-loop',
      case: `/healthz ${stat} while 4 clients post ${name} gzip-compressed`,
      value: a,
      unit: 'ms',
      baseline: `idle ${stat}`,
      baselineValue: b,
      ratio: a / b,
      spread: 0,
      repeats: 1,
      note: `${zipped.loaded.length} samples under load (${zipped.completed} large requests answered in ${seconds} s; the body gzips ${ratio}×)`,
    };
  };
  const plainP99 = percentile(
    plain.flatMap((x) => x.loaded),
    99,
  );
  const vsPlain: Row = {
    suite: 'event-loop',
    case: `/healthz p99 while 4 clients post ${name} gzip-compressed, vs the same uncompressed`,
    value: percentile(zipped.loaded, 99),
    unit: 'ms',
    baseline: 'plain JSON load p99',
    baselineValue: plainP99,
    ratio: percentile(zipped.loaded, 99) / plainP99,
    spread: 0,
    repeats: 1,
    note: 'decoding runs on libuv’s thread pool; the event loop only copies the decoded chunks',
  };
  return [row('p50'), row('p99'), vsPlain];
}

export async function runEventLoop(opts: { quick: boolean; peer: boolean }, log: (s: string) => void): Promise<Row[]> {
  const { quick } = opts;
  const large = quick ? crossEntropyNested(128, 1000) : crossEntropyNested(1024, 1000);
  const file = join(tmpdir(), `lossd-bench-${process.pid}.json`);
  writeFileSync(file, large.body);
  const zipped = gzipSync(large.body);
  const gzFile = join(tmpdir(), `lossd-bench-${process.pid}.json.gz`);
  writeFileSync(gzFile, zipped);
  const gzRatio = (large.body.length / zipped.length).toFixed(1);
  const seconds = quick ? 4 : 14;
  const idleMs = quick ? 1000 : 3000;
  const server = await startLossd(2);
  const { peer, why } = await peerOrWhy(opts.peer, server, [large], log);
  try {
    // with the peer: lossd, peer, then peer, lossd (the machine's load drifts)
    const rounds = peer && !quick ? 2 : 1;
    const ours: UnderLoad[] = [];
    const theirs: UnderLoad[] = [];
    for (let k = 0; k < rounds; k++) {
      if (peer && k % 2 === 1) theirs.push(await underLoad(peer, file, large.path, seconds, idleMs));
      ours.push(await underLoad(server, file, large.path, seconds, idleMs));
      if (peer && k % 2 === 0) theirs.push(await underLoad(peer, file, large.path, seconds, idleMs));
    }
    const pooled = (xs: UnderLoad[], key: 'idle' | 'loaded') => xs.flatMap((x) => x[key]);
    const answered = (xs: UnderLoad[]) => xs.map((x) => x.completed).join(', ');
    const loaded = pooled(ours, 'loaded');
    const idle = pooled(ours, 'idle');
    const row = (stat: 'p50' | 'p99', target?: Row['target']): Row => {
      const p = stat === 'p50' ? 50 : 99;
      const a = percentile(loaded, p);
      const b = percentile(idle, p);
      const ratios = ours.map((x) => percentile(x.loaded, p) / percentile(x.idle, p));
      return {
        suite: 'event-loop',
        case: `/healthz ${stat} while 4 clients post ${large.name}`,
        value: a,
        unit: 'ms',
        baseline: `idle ${stat}`,
        baselineValue: b,
        ratio: a / b,
        spread: summarize(ratios).spread,
        repeats: ours.length,
        ...(target ? { target } : {}),
        note: `${loaded.length} samples under load (${answered(ours)} large requests answered in ${seconds} s), ${idle.length} idle`,
      };
    };
    const rows = [row('p50'), row('p99', { on: 'value', op: '<', limit: 20 })];
    log(`  /healthz p50 ${rows[0]?.value.toFixed(2)} ms, p99 ${rows[1]?.value.toFixed(2)} ms under load`);
    const gz = await underLoad(server, gzFile, large.path, seconds, idleMs, true);
    const gzRows = gzipRows(gz, ours, large.name, gzRatio, seconds);
    rows.push(...gzRows);
    log(
      `  gzip (${gzRatio}×): /healthz p50 ${gzRows[0]?.value.toFixed(2)} ms, p99 ${gzRows[1]?.value.toFixed(2)} ms under load (idle p99 ${gzRows[1]?.baselineValue.toFixed(2)} ms); ${gz.completed} answered`,
    );
    if (!peer) {
      rows.push(peerMissing('event-loop', why ?? 'unknown'));
      return rows;
    }
    const vs = (stat: 'p50' | 'p99', target?: Row['target']): Row => {
      const p = stat === 'p50' ? 50 : 99;
      const a = percentile(loaded, p);
      const b = percentile(pooled(theirs, 'loaded'), p);
      const ratios = ours.map((x, i) => percentile(x.loaded, p) / percentile((theirs[i] as UnderLoad).loaded, p));
      return {
        suite: 'event-loop',
        case: `vs ${PEER_NAME}: /healthz ${stat} while 4 clients post ${large.name}`,
        value: a,
        unit: 'ms',
        baseline: `${PEER_NAME} ${stat}`,
        baselineValue: b,
        ratio: summarize(ratios).median,
        spread: summarize(ratios).spread,
        repeats: ratios.length,
        ...(target ? { target } : {}),
        note: `lossd / peer per round; peer: ${pooled(theirs, 'loaded').length} samples under load (${answered(theirs)} large requests answered in ${seconds} s), idle ${stat} ${percentile(pooled(theirs, 'idle'), p).toFixed(2)} ms`,
      };
    };
    rows.push(vs('p50'), vs('p99', { on: 'ratio', op: '<=', limit: 1 }));
    log(
      `  peer: /healthz p50 ${rows[2]?.baselineValue.toFixed(2)} ms, p99 ${rows[3]?.baselineValue.toFixed(2)} ms under load`,
    );
    return rows;
  } finally {
    await Promise.all([server.stop(), peer?.stop()]);
  }
}
