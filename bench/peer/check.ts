// Does the Python peer (bench/peer/app.py) answer the HTTP benchmarks' requests as lossd does?
// Starts both (lossd from dist/: npm run build first), posts every body the HTTP and event-loop
// benchmarks send, plus the same requests with flat output and reduction "none", and compares
// the loss and each gradient within 1e-9 relative (1e-12 absolute).
//
//   node --import tsx bench/peer/check.ts        (npm run bench:peer-check)

import { type BenchBody, crossEntropyB64, crossEntropyNested, mseNested } from '../http/bodies.js';
import { peerUnavailable, type Running, startLossd, startPeer } from '../lib/servers.js';
import { sameAnswers } from './verify.js';

function variant(b: BenchBody, extra: Record<string, unknown>, label: string): BenchBody {
  const body = { ...(JSON.parse(b.body.toString()) as object), ...extra };
  return { ...b, name: `${b.name} ${label}`, body: Buffer.from(JSON.stringify(body)) };
}

const why = peerUnavailable();
if (why !== undefined) {
  process.stderr.write(`peer unavailable: ${why}\n`);
  process.exit(2);
}

const small = crossEntropyNested(32, 10);
const medium = mseNested(10_000);
const bodies: BenchBody[] = [
  small,
  medium,
  crossEntropyNested(1024, 1000),
  crossEntropyB64(1024, 1000),
  variant(small, { encoding: 'flat' }, 'flat out'),
  variant(small, { reduction: 'none', encoding: 'b64' }, 'reduction none, b64 out'),
  variant(medium, { grad_wrt: ['input', 'target'], reduction: 'sum' }, 'sum, grad of both'),
  variant(small, { label_smoothing: 0.1 }, 'label_smoothing 0.1'),
];

let lossd: Running | undefined;
let peer: Running | undefined;
let failed = 0;
try {
  [lossd, peer] = await Promise.all([startLossd(2), startPeer(2)]);
  for (const b of bodies) {
    const r = await sameAnswers(lossd.url, peer.url, b);
    if (!r.ok) failed++;
    process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${b.name}: ${r.detail}\n`);
  }
} finally {
  await Promise.all([lossd?.stop(), peer?.stop()]);
}
process.stdout.write(`${bodies.length - failed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
