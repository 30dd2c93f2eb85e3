// npm run bench [-- --suites=kernels,codec,http,event-loop,memory,stream,runtimes] [--only=mse_loss,...]
// Iterating: --sizes=1e6 --dtypes=float64 --only=cross_entropy,nll_loss
// npm run bench:quick   (CI: every suite, tiny sizes, one repeat, no thresholds)
// --no-peer: leave out the Python peer (FastAPI + PyTorch); --peer: measure it in --quick too
// --node=system,image,26: the Node.js lines to run on, one after the other (default: the system
// node and the Dockerfile's line; --quick: the running node only). Other lines are fetched from
// the npm registry on first use (scripts/fetch-node.sh). Each row names its line. The suite
// `runtimes` runs the same server on every line at once, loaded in turn (bench/http/runtimes.bench.ts).
//
// Prints one table and writes it as JSON to bench/results/latest.json. Every figure is a ratio
// against a baseline measured in the same run; see bench/README-section.md.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FloatDType } from '../src/codec/decode.js';
import { runCodec } from './codec/codec.bench.js';
import { runEventLoop } from './http/event-loop.bench.js';
import { runHttp } from './http/http.bench.js';
import { runRuntimes } from './http/runtimes.bench.js';
import { runStream } from './http/stream.bench.js';
import { type Row, table, writeJson } from './lib/report.js';
import { type Runtime, resolveRuntimes } from './lib/runtimes.js';
import { collect } from './lib/stats.js';
import { runKernels } from './losses/kernels.bench.js';
import { runMemory } from './server/memory.bench.js';

const ALL = ['kernels', 'codec', 'http', 'event-loop', 'memory', 'stream', 'runtimes'] as const;
type Suite = (typeof ALL)[number];

function arg(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

const quick = process.argv.includes('--quick');
// the Python peer (bench/peer): measured in full runs where it can run; --peer in --quick too
const peer = process.argv.includes('--peer') || (!quick && !process.argv.includes('--no-peer'));
const suites = (arg('suites')?.split(',') ?? [...ALL]) as Suite[];
const only = arg('only')?.split(',') ?? [];
const out =
  arg('out') ?? fileURLToPath(new URL(quick ? './results/quick.json' : './results/latest.json', import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);

if (!(globalThis as { gc?: unknown }).gc) log('note: run with node --expose-gc for steadier numbers');

const started = new Date();
const runtimeSpecs = arg('node')?.split(',') ?? (quick ? ['system'] : ['system', 'image']);
const self = runtimeSpecs.length === 1 && runtimeSpecs[0] === 'self';
const runtimes: Runtime[] = self ? [] : resolveRuntimes(runtimeSpecs);
// every suite runs on each line, but `runtimes`, which compares the lines side by side, runs here
const perLine = suites.filter((x) => x !== 'runtimes');
const rows: Row[] = [];
if (perLine.length > 0) {
  if (!self && (runtimes.length > 1 || runtimes[0]?.node !== process.execPath)) rows.push(...onEach(runtimes));
  else rows.push(...(await measure(perLine)).map((r) => (runtimes[0] ? { ...r, node: runtimes[0].label } : r)));
}
if (suites.includes('runtimes') && !self) {
  log('== runtimes');
  rows.push(...(await runRuntimes({ quick, runtimes }, log)));
}

/** The same run in a child process per Node.js line, one line after the other. */
function onEach(list: readonly Runtime[]): Row[] {
  const dir = mkdtempSync(join(tmpdir(), 'lossd-bench-'));
  const passed = process.argv
    .slice(2)
    .filter((a) => !a.startsWith('--node=') && !a.startsWith('--out=') && !a.startsWith('--suites='));
  passed.push(`--suites=${perLine.join(',')}`);
  const all: Row[] = [];
  try {
    for (const [i, rt] of list.entries()) {
      log(`==== Node ${rt.version} (${rt.label})`);
      const file = join(dir, `${i}.json`);
      const script = fileURLToPath(import.meta.url);
      const r = spawnSync(
        rt.node,
        ['--expose-gc', '--import', 'tsx', script, ...passed, '--node=self', `--out=${file}`],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      if (r.status !== 0) throw new Error(`the run on Node ${rt.version} failed (exit ${r.status})`);
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { rows: (Row & { holds?: boolean })[] };
      for (const { holds: _, ...row } of doc.rows) all.push({ ...row, node: rt.label });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return all;
}

async function measure(list: readonly Suite[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const suite of list) {
    if (!ALL.includes(suite)) throw new Error(`unknown suite ${suite}; known: ${ALL.join(', ')}`);
    log(`== ${suite}${quick ? ' (quick)' : ''}`);
    collect();
    if (suite === 'kernels') {
      rows.push(
        ...runKernels(
          {
            sizes: arg('sizes')?.split(',').map(Number) ?? (quick ? [1e3] : [1e3, 1e5, 1e6]),
            dtypes: (arg('dtypes')?.split(',') ?? ['float64', 'float32']) as FloatDType[],
            classCounts: [10, 1000],
            timing: quick ? { repeats: 1, minMs: 1, warmup: 1 } : { repeats: 5, minMs: 40, warmup: 2 },
            only,
          },
          log,
        ),
      );
    } else if (suite === 'codec') {
      rows.push(
        ...runCodec(
          {
            n: quick ? 1e4 : 1e6,
            timing: quick ? { repeats: 1, minMs: 1, warmup: 1 } : { repeats: 7, minMs: 100, warmup: 2 },
          },
          log,
        ),
      );
    } else if (suite === 'http') {
      rows.push(...(await runHttp({ quick, peer }, log)));
    } else if (suite === 'event-loop') {
      rows.push(...(await runEventLoop({ quick, peer }, log)));
    } else if (suite === 'stream') {
      rows.push(...(await runStream({ quick }, log)));
    } else if (suite === 'memory') {
      rows.push(...(await runMemory({ quick }, log)));
    }
  }
  return rows;
}

const seconds = (Date.now() - started.getTime()) / 1000;
process.stdout.write(`${table(rows)}\n`);
const measured = runtimes.map((r) => ({ label: r.label, version: r.version }));
writeJson(out, { quick, suites, started: started.toISOString(), seconds, runtimes: measured }, rows);
log(`${rows.length} rows in ${seconds.toFixed(0)} s → ${out}`);
