// Runtimes: the same lossd (dist/) on each Node.js line of the run (--node, bench/lib/runtimes.ts),
// all started at once and loaded in turn, repeat by repeat (A, B, C, then C, B, A, ...), so that
// the machine's changing load falls on every line alike. The first line of --node is the
// baseline of every ratio: run with --node=image,24,system to compare the others with the
// image's line. The loads are those of the http suite (bench/http/http.bench.ts): small and
// medium at their connection counts (req/s), the large request nested and in b64 at one
// connection (p50).

import autocannon from 'autocannon';
import type { Row } from '../lib/report.js';
import type { Runtime } from '../lib/runtimes.js';
import { type Running, startLossd } from '../lib/servers.js';
import { summarize } from '../lib/stats.js';
import { type BenchBody, crossEntropyB64, crossEntropyNested, mseNested } from './bodies.js';

export interface RuntimesOptions {
  readonly quick: boolean;
  readonly runtimes: readonly Runtime[];
}

interface Load {
  readonly name: string;
  readonly body: BenchBody;
  readonly connections: number;
  /** req/s over a fixed time, or p50 over a fixed number of requests. */
  readonly measure: 'req/s' | 'p50';
  readonly seconds?: number;
  readonly amount?: number;
}

async function once(server: Running, load: Load): Promise<number> {
  const b = load.body;
  const r = await autocannon({
    url: `${server.url}${b.path}`,
    method: 'POST',
    body: b.body,
    headers: { 'content-type': 'application/json' },
    connections: load.connections,
    timeout: 120,
    ...(load.amount !== undefined ? { amount: load.amount, sampleInt: 50 } : { duration: load.seconds ?? 3 }),
  });
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`${b.name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  return load.measure === 'p50' ? r.latency.p50 : r.requests.average;
}

export async function runRuntimes(opts: RuntimesOptions, log: (s: string) => void): Promise<Row[]> {
  const { quick, runtimes } = opts;
  if (runtimes.length < 2) {
    log('  runtimes: one Node.js line only (--node=image,24,system compares several); skipped');
    return [];
  }
  const repeats = quick ? 1 : 4;
  const [N, C] = quick ? [128, 1000] : [1024, 1000];
  const loads: Load[] = [
    {
      name: 'cross_entropy 32×10 nested, 16 conns',
      body: crossEntropyNested(32, 10),
      connections: 16,
      measure: 'req/s',
      seconds: quick ? 1 : 3,
    },
    {
      name: 'mse_loss 10000 nested, 8 conns',
      body: mseNested(10_000),
      connections: 8,
      measure: 'req/s',
      seconds: quick ? 1 : 3,
    },
    {
      name: `cross_entropy ${N}×${C} nested, p50 at 1 conn`,
      body: crossEntropyNested(N, C),
      connections: 1,
      measure: 'p50',
      amount: quick ? 2 : 8,
    },
    {
      name: `cross_entropy ${N}×${C} b64, p50 at 1 conn`,
      body: crossEntropyB64(N, C),
      connections: 1,
      measure: 'p50',
      amount: quick ? 2 : 16,
    },
  ];
  const servers: Running[] = [];
  const rows: Row[] = [];
  try {
    for (const rt of runtimes) servers.push(await startLossd(2, {}, rt.node));
    for (const load of loads) {
      for (const s of servers) await once(s, { ...load, seconds: 1, amount: load.amount && 2 }); // warm-up
      const samples: number[][] = runtimes.map(() => []);
      for (let k = 0; k < repeats; k++) {
        const order = servers.map((_, i) => i);
        if (k % 2 === 1) order.reverse();
        for (const i of order) samples[i]?.push(await once(servers[i] as Running, load));
      }
      const base = samples[0] as number[];
      for (let i = 1; i < runtimes.length; i++) {
        const mine = samples[i] as number[];
        const ratio = summarize(mine.map((x, k) => x / (base[k] as number)));
        const row: Row = {
          suite: 'runtimes',
          case: `Node ${(runtimes[i] as Runtime).label}: ${load.name}`,
          value: summarize(mine).median,
          unit: load.measure === 'p50' ? 'ms' : 'req/s',
          baseline: `Node ${(runtimes[0] as Runtime).label}`,
          baselineValue: summarize(base).median,
          ratio: ratio.median,
          spread: ratio.spread,
          repeats: ratio.n,
        };
        rows.push(row);
        log(
          `  ${row.case}: ${row.value.toFixed(1)} ${row.unit} against ${row.baselineValue.toFixed(1)} (${row.ratio.toFixed(3)}×)`,
        );
      }
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  return rows;
}
