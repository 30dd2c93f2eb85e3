// NDJSON streams (POST /v1/batch, application/x-ndjson) against the real server (dist/, 2
// workers), in its own process:
//
//   throughput  200,000 small items (mse_loss on 8 elements and cross_entropy 4×10, in turn)
//               through one connection: items/s against the same items as separate requests
//               (POST /v1/losses/{name}) over 8 keep-alive connections (autocannon), repeat by
//               repeat (target: ≥ 3×)
//   memory      the server's RSS growth from 40% of the stream to its end (target: ≤ 64 MB):
//               for those small items read as fast as they come, and for items with 160 kB
//               answers read by a client slower than the server (50 MB/s), where the window's
//               byte bound is what keeps the answers in flight few

import { request } from 'node:http';
import autocannon from 'autocannon';
import type { Row } from '../lib/report.js';
import { type Running, rss, startLossd } from '../lib/servers.js';
import { summarize } from '../lib/stats.js';

const MB = 1024 * 1024;

const MSE = { input: [0.5, -1.25, 2, 0.75, 3.5, -0.5, 1, 0.25], target: [0, 1, 2, 3, 0, 1, 2, 3] };
const CE = {
  input: Array.from({ length: 4 }, (_, i) => Array.from({ length: 10 }, (_, j) => Math.sin(i * 10 + j))),
  target: [1, 5, 9, 0],
};

/** Items whose answers are 160 kB: 2000 elements in (b64), loss and two gradients out (nested). */
function heavyItem(): string {
  const n = 2000;
  const bytes = Buffer.alloc(n * 8);
  for (let i = 0; i < n; i++) bytes.writeDoubleLE(Math.PI * (i + 1), i * 8);
  return JSON.stringify({
    loss: 'mse_loss',
    input: { shape: [n], dtype: 'float64', b64: bytes.toString('base64') },
    target: { shape: [n], dtype: 'float64', b64: Buffer.alloc(n * 8).toString('base64') },
    reduction: 'none',
    grad_wrt: ['input', 'target'],
  });
}

/** `count` items, the given lines in turn, as one NDJSON body. */
function ndjson(lines: readonly string[], count: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(lines[i % lines.length] as string);
  return Buffer.from(`${parts.join('\n')}\n`);
}

interface StreamRun {
  readonly itemsPerSecond: number;
  readonly items: number;
  /** Server RSS once 40% of the answers were in, and its peak from then to the end (bytes). */
  readonly rssAt40: number;
  readonly rssPeak: number;
}

/**
 * One stream of `body` (of `items` lines) through one connection, answers read as they come
 * (at most `readMBps` when given); the server's RSS sampled every 50 ms from 40% on.
 */
function stream(server: Running, body: Buffer, items: number, readMBps?: number): Promise<StreamRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answered = 0;
    let rssAt40 = 0;
    let rssPeak = 0;
    const sample = () => {
      if (answered < 0.4 * items) return;
      const now = rss(server.pid).rss;
      if (rssAt40 === 0) rssAt40 = now;
      rssPeak = Math.max(rssPeak, now);
    };
    const sampler = setInterval(sample, 50);
    const req = request(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`stream answered ${res.statusCode}`));
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) answered++;
        bytes += chunk.length;
        if (readMBps !== undefined) {
          // a slow reader: pause until the bytes read so far are due at that rate
          const due = (bytes / (readMBps * MB)) * 1000 - (performance.now() - started);
          if (due > 1) {
            res.pause();
            setTimeout(() => res.resume(), due);
          }
        }
      });
      res.on('end', () => {
        clearInterval(sampler);
        sample();
        const seconds = (performance.now() - started) / 1000;
        if (answered !== items) reject(new Error(`${answered} answers for ${items} items`));
        else resolve({ itemsPerSecond: items / seconds, items, rssAt40, rssPeak });
      });
    });
    // the body in 256 kB writes, each after the last has drained
    let at = 0;
    const write = () => {
      while (at < body.length) {
        const piece = body.subarray(at, at + 256 * 1024);
        at += piece.length;
        if (!req.write(piece)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

/** The same small items as separate requests over 8 keep-alive connections: req/s. */
async function separate(server: Running, amount: number): Promise<number> {
  const headers = { 'content-type': 'application/json' };
  const r = await autocannon({
    url: server.url,
    connections: 8,
    amount,
    timeout: 120,
    sampleInt: 50,
    requests: [
      { method: 'POST', path: '/v1/losses/mse_loss', body: JSON.stringify(MSE), headers },
      { method: 'POST', path: '/v1/losses/cross_entropy', body: JSON.stringify(CE), headers },
    ],
  });
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`separate requests: ${r.errors} errors, ${r.non2xx} non-2xx`);
  return r.requests.total / r.duration;
}

export async function runStream(opts: { quick: boolean }, log: (s: string) => void): Promise<Row[]> {
  const { quick } = opts;
  const items = quick ? 5_000 : 200_000;
  const separateItems = quick ? 2_000 : 50_000;
  const repeats = quick ? 1 : 2;
  const small = ndjson(
    [JSON.stringify({ loss: 'mse_loss', ...MSE }), JSON.stringify({ loss: 'cross_entropy', ...CE })],
    items,
  );
  const rows: Row[] = [];

  const server = await startLossd(2);
  try {
    // warm-up: both paths, so that neither pays for the workers' first compilations
    await stream(server, ndjson([small.subarray(0, small.indexOf(10)).toString()], 2000), 2000);
    await separate(server, 1000);

    const streamed: StreamRun[] = [];
    const perRequest: number[] = [];
    for (let r = 0; r < repeats; r++) {
      // interleaved: stream, separate, separate, stream, ...
      const order = r % 2 === 0 ? ['stream', 'separate'] : ['separate', 'stream'];
      for (const what of order) {
        if (what === 'stream') {
          const s = await stream(server, small, items);
          streamed.push(s);
          log(
            `  stream: ${s.itemsPerSecond.toFixed(0)} items/s, RSS ${(s.rssAt40 / MB).toFixed(0)} → ${(s.rssPeak / MB).toFixed(0)} MB`,
          );
        } else {
          const rps = await separate(server, separateItems);
          perRequest.push(rps);
          log(`  separate requests: ${rps.toFixed(0)} req/s`);
        }
      }
    }
    const ratios = streamed.map((s, i) => s.itemsPerSecond / (perRequest[i] as number));
    const summary = summarize(ratios);
    rows.push({
      suite: 'http',
      case: `stream ${items} small items (mse_loss 8, cross_entropy 4×10), 1 connection`,
      value: summarize(streamed.map((s) => s.itemsPerSecond)).median,
      unit: 'items/s',
      baseline: 'separate requests, 8 keep-alive connections',
      baselineValue: summarize(perRequest).median,
      ratio: summary.median,
      spread: summary.spread,
      repeats: ratios.length,
      target: { on: 'ratio', op: '>=', limit: 3 },
      note: `separate requests: ${separateItems} per repeat (autocannon)`,
    });
    const growth = streamed.map((s) => (s.rssPeak - s.rssAt40) / MB);
    rows.push({
      suite: 'http',
      case: `stream ${items} small items: server RSS growth from 40% to the end`,
      value: Math.max(...growth),
      unit: 'MB',
      baseline: 'RSS at 40%',
      baselineValue: summarize(streamed.map((s) => s.rssAt40 / MB)).median,
      ratio: Number.NaN,
      spread: 0,
      repeats: growth.length,
      target: { on: 'value', op: '<=', limit: 64 },
      note: 'the largest growth of the repeats',
    });

    // large answers, read slower than they are computed: the window fills to its byte bound
    const heavyCount = quick ? 200 : 2_000;
    const heavy = ndjson([heavyItem()], heavyCount);
    const h = await stream(server, heavy, heavyCount, 50);
    log(`  160 kB answers at 50 MB/s: RSS ${(h.rssAt40 / MB).toFixed(0)} → ${(h.rssPeak / MB).toFixed(0)} MB`);
    rows.push({
      suite: 'http',
      case: `stream ${heavyCount} items with 160 kB answers, read at 50 MB/s: server RSS growth from 40% to the end`,
      value: (h.rssPeak - h.rssAt40) / MB,
      unit: 'MB',
      baseline: 'RSS at 40%',
      baselineValue: h.rssAt40 / MB,
      ratio: Number.NaN,
      spread: 0,
      repeats: 1,
      target: { on: 'value', op: '<=', limit: 64 },
      note: `${(heavy.length / heavyCount / 1024).toFixed(0)} kB lines`,
    });
  } finally {
    await server.stop();
  }
  return rows;
}
