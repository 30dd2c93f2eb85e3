// Event loop: how long GET /healthz takes, sampled every 10 ms, while 4 clients post the large
// nested-JSON request (cross_entropy 1024×1000) without pause; against the same sampling of an
// idle server. The load comes from autocannon in a child process, so that its own work (20 MB
// bodies each way) cannot delay the sampler, and at a lower priority (nice 10), since remote
// clients would not take the server's cores; samples are fired on schedule whether or not the
// previous one has answered (no coordinated omission).

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from '../lib/report.js';
import { type Running, startLossd } from '../lib/servers.js';
import { percentile } from '../lib/stats.js';
import { crossEntropyNested } from './bodies.js';

const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));

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

export async function runEventLoop(opts: { quick: boolean }, log: (s: string) => void): Promise<Row[]> {
  const { quick } = opts;
  const large = quick ? crossEntropyNested(128, 1000) : crossEntropyNested(1024, 1000);
  const file = join(tmpdir(), `lossd-bench-${process.pid}.json`);
  writeFileSync(file, large.body);
  const server = await startLossd(2);
  try {
    await sample(server, 500);
    const idle = await sample(server, quick ? 1000 : 3000);
    const seconds = quick ? 4 : 14;
    const child = spawn(
      process.execPath,
      [
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
        `${server.url}${large.path}`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
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
    const row = (stat: 'p50' | 'p99', target?: Row['target']): Row => {
      const p = stat === 'p50' ? 50 : 99;
      const a = percentile(loaded, p);
      const b = percentile(idle, p);
      return {
        suite: 'event-loop',
        case: `/healthz ${stat} while 4 clients post ${large.name}`,
        value: a,
        unit: 'ms',
        baseline: `idle ${stat}`,
        baselineValue: b,
        ratio: a / b,
        spread: 0,
        repeats: 1,
        ...(target ? { target } : {}),
        note: `${loaded.length} samples under load (${completed} large requests answered in ${seconds} s), ${idle.length} idle`,
      };
    };
    const rows = [row('p50'), row('p99', { on: 'value', op: '<', limit: 20 })];
    log(`  /healthz p50 ${rows[0]?.value.toFixed(2)} ms, p99 ${rows[1]?.value.toFixed(2)} ms under load`);
    return rows;
  } finally {
    await server.stop();
  }
}
