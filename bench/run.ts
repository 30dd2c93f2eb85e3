// npm run bench [-- --suites=kernels,codec,http,event-loop,memory,stream] [--only=mse_loss,...]
// Iterating: --sizes=1e6 --dtypes=float64 --only=cross_entropy,nll_loss
// npm run bench:quick   (CI: every suite, tiny sizes, one repeat, no thresholds)
// --no-peer: leave out the Python peer (FastAPI + PyTorch); --peer: measure it in --quick too
//
// Prints one table and writes it as JSON to bench/results/latest.json. Every figure is a ratio
// against a baseline measured in the same run; see bench/README-section.md.

import { fileURLToPath } from 'node:url';
import type { FloatDType } from '../src/codec/decode.js';
import { runCodec } from './codec/codec.bench.js';
import { runEventLoop } from './http/event-loop.bench.js';
import { runHttp } from './http/http.bench.js';
import { runStream } from './http/stream.bench.js';
import { type Row, table, writeJson } from './lib/report.js';
import { collect } from './lib/stats.js';
import { runKernels } from './losses/kernels.bench.js';
import { runMemory } from './server/memory.bench.js';

const ALL = ['kernels', 'codec', 'http', 'event-loop', 'memory', 'stream'] as const;
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
const rows: Row[] = [];
for (const suite of suites) {
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
  } else {
    rows.push(...(await runMemory({ quick }, log)));
  }
}

const seconds = (Date.now() - started.getTime()) / 1000;
process.stdout.write(`${table(rows)}\n`);
writeJson(out, { quick, suites, started: started.toISOString(), seconds }, rows);
log(`${rows.length} rows in ${seconds.toFixed(0)} s → ${out}`);
