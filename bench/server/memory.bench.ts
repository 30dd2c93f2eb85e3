// Memory of the server process (all threads), from /proc:
//   - peak RSS while it answers one large request (a fresh server, peak reset just before),
//     over its idle RSS, against the request's tensor bytes (target: at most 4×; 3× through v2
//     with binary tensors); for the large request in b64, in nested JSON and in v2 binary,
//     each on a fresh server
//   - RSS after 1000 large requests against RSS after the first 100 (no growth beyond noise)

import { type BenchBody, crossEntropyB64, crossEntropyNested, crossEntropyV2Binary } from '../http/bodies.js';
import { fire } from '../http/http.bench.js';
import type { Row } from '../lib/report.js';
import { resetPeak, rss, startLossd } from '../lib/servers.js';

const MB = 1024 * 1024;
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runMemory(opts: { quick: boolean }, log: (s: string) => void): Promise<Row[]> {
  const { quick } = opts;
  const [N, C] = quick ? [128, 1000] : [1024, 1000];
  const rows: Row[] = [];

  const peakOf = async (b: BenchBody): Promise<{ idle: number; peak: number; exact: boolean }> => {
    const server = await startLossd(2);
    try {
      await settle(1000);
      const idle = rss(server.pid).rss;
      const exact = resetPeak(server.pid);
      await fire(server, b, { connections: 1, amount: 1 });
      return { idle, peak: rss(server.pid).peak, exact };
    } finally {
      await server.stop();
    }
  };

  // the targets: 4× for v1's JSON forms, 3× for v2's binary tensors
  const limits: Array<[BenchBody, number]> = [
    [crossEntropyB64(N, C), 4],
    [crossEntropyNested(N, C), 4],
    [crossEntropyV2Binary(N, C), 3],
  ];
  for (const [b, limit] of limits) {
    const { idle, peak, exact } = await peakOf(b);
    const over = (peak - idle) / MB;
    const tensors = b.tensorBytes / MB;
    rows.push({
      suite: 'memory',
      case: `peak RSS over idle, one ${b.name} request`,
      value: over,
      unit: 'MB',
      baseline: 'its tensor bytes',
      baselineValue: tensors,
      ratio: over / tensors,
      spread: 0,
      repeats: 1,
      target: { on: 'ratio', op: '<=', limit },
      note: `idle ${(idle / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB, body ${(b.body.length / MB).toFixed(1)} MB${exact ? '' : ' (peak not reset: includes start-up)'}`,
    });
    log(`  ${b.name}: idle ${(idle / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB (+${over.toFixed(0)} MB)`);
  }

  // many requests: RSS after the first 100, then after 1000
  const b = crossEntropyB64(N, C);
  const [first, total] = quick ? [5, 20] : [100, 1000];
  const server = await startLossd(2);
  try {
    await fire(server, b, { connections: 2, amount: first });
    await settle(500);
    const after100 = rss(server.pid).rss;
    await fire(server, b, { connections: 2, amount: total - first });
    await settle(500);
    const after1000 = rss(server.pid).rss;
    rows.push({
      suite: 'memory',
      case: `RSS after ${total} ${b.name} requests`,
      value: after1000 / MB,
      unit: 'MB',
      baseline: `RSS after ${first}`,
      baselineValue: after100 / MB,
      ratio: after1000 / after100,
      spread: 0,
      repeats: 1,
      target: { on: 'ratio', op: '<=', limit: 1.1 },
      note: 'two connections; 1.1 allows for noise (GC timing)',
    });
    log(`  RSS after ${first}: ${(after100 / MB).toFixed(0)} MB, after ${total}: ${(after1000 / MB).toFixed(0)} MB`);
  } finally {
    await server.stop();
  }
  return rows;
}
