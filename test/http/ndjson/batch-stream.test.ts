// BatchStream reads any Readable, not only a socket: here the output of the content decoder
// (./decoded-body.ts, what a content-encoding puts between the socket and the stream), with the
// worker pool of the server. A body the decoder cannot read ends the stream with a last error
// line (400), after the answers to the lines that came before it.

import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamMetrics } from '../../../src/http/metrics.js';
import { BatchStream } from '../../../src/http/ndjson/batch-stream.js';
import { decodedBody } from '../../../src/http/ndjson/decoded-body.js';
import { createPool, type LossPool } from '../../../src/pool/pool.js';
import { WORKER_FILE } from '../../helpers/server.js';

let pool: LossPool;
beforeAll(() => {
  pool = createPool({ workers: 2, maxQueue: 16, workerHeapMb: 512, workerFile: WORKER_FILE });
});
afterAll(async () => {
  await pool?.close();
});

const metrics: StreamMetrics = { started() {}, answered() {}, window() {}, ended() {} };

async function answers(source: Readable): Promise<Array<Record<string, unknown>>> {
  const out = new BatchStream({ pool, source, lineLimit: 1 << 20, maxElements: 1000, timeoutMs: 10_000, metrics });
  let text = '';
  for await (const chunk of out) text += chunk;
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const items = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ loss: 'l1_loss', input: [i], target: [0] }));

describe('BatchStream over a decoder', () => {
  it('answers the lines of a gzip-compressed body, in order', async () => {
    const gzipped = gzipSync(`${items.join('\n')}\n`);
    // in pieces, as a socket would deliver them
    const pieces = Array.from({ length: Math.ceil(gzipped.length / 1000) }, (_, k) =>
      gzipped.subarray(k * 1000, (k + 1) * 1000),
    );
    const got = await answers(decodedBody(Readable.from(pieces), 'gzip'));
    expect(got).toEqual(items.map((_, i) => ({ loss: i, grad: { input: [i === 0 ? 0 : 1] } })));
  });

  it('ends with a last 400 line when the body cannot be decoded, after the lines before it', async () => {
    const good = gzipSync(`${items.slice(0, 5).join('\n')}\n`);
    // a valid member, then bytes that are not gzip
    const source = decodedBody(Readable.from([good, Buffer.from('this is not gzip at all')]), 'gzip');
    const got = await answers(source);
    expect(got.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((i) => ({ loss: i, grad: { input: [i === 0 ? 0 : 1] } })));
    expect(got.length).toBe(6);
    expect(got[5]).toMatchObject({ error: { status: 400, code: 'LOSSD_MALFORMED_ENCODING' } });
  });
});

describe('BatchStream, a last line over the limit', () => {
  // no LF after it: its 413 is known only at the end of the body, when no later event comes
  it('is answered with its 413 and the stream ends (plain or decoded)', async () => {
    const over = 'x'.repeat((1 << 20) + 10);
    for (const source of [
      () => Readable.from([Buffer.from(`${items[1]}\n`), Buffer.from(over)]),
      () => decodedBody(Readable.from([gzipSync(`${items[1]}\n${over}`)]), 'gzip'),
      () => Readable.from([Buffer.from(over)]),
    ]) {
      const got = await answers(source());
      expect(got.at(-1)).toMatchObject({ error: { status: 413, code: 'LOSSD_BODY_TOO_LARGE' } });
    }
  }, 10_000);
});
