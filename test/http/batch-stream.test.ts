// POST /v1/batch with application/x-ndjson, over a real socket: one answer line per item in
// request order whatever each item costs; per-line errors that never stop the stream; answers
// before the request has ended; back-pressure both ways; a client that leaves half way; the
// server shutting down mid-stream; a queue bound that slows a stream rather than failing it.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric, openNdjson, parseLines, postNdjson, sleep, until } from '../helpers/ndjson.js';
import { postJson, type RunningServer, request, startServer } from '../helpers/server.js';

/** mse_loss of n copies of `value` against 0, reduced by mean: value², whatever n. */
function squareItem(value: number, n = 1): string {
  if (n === 1) return JSON.stringify({ loss: 'mse_loss', input: [value], target: 0, grad_wrt: [] });
  const bytes = Buffer.alloc(n * 8);
  for (let i = 0; i < n; i++) bytes.writeDoubleLE(value, i * 8);
  const input = { shape: [n], dtype: 'float64', b64: bytes.toString('base64') };
  return JSON.stringify({ loss: 'mse_loss', input, target: 0, grad_wrt: [] });
}

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ bodyLimit: 4096, maxElements: 100 });
});
afterAll(async () => {
  await server?.close();
});

describe('POST /v1/batch, application/x-ndjson', () => {
  it('answers one line per item, in request order, whatever each item costs', async () => {
    const big = await startServer({ workers: 2 });
    try {
      // every 5th item is 40,000 elements (a few ms of work and a 430 kB line), the rest one
      const lines = Array.from({ length: 120 }, (_, i) => squareItem(i, i % 5 === 0 ? 40_000 : 1));
      const { status, type, lines: answers } = await postNdjson(big.url, `${lines.join('\n')}\n`, 50);
      expect(status).toBe(200);
      expect(type).toMatch(/^application\/x-ndjson/);
      const parsed = parseLines(answers);
      expect(parsed.length).toBe(120);
      expect(parsed).toEqual(parsed.map((_, i) => ({ loss: i * i })));
    } finally {
      await big.close();
    }
  });

  it('turns a malformed, an oversized, an unknown-loss and an over-element line into error lines, and goes on', async () => {
    const good = (v: number) => squareItem(v);
    const body = [
      good(1),
      '{"loss": "mse_loss", "input": [1, 2',
      good(2),
      `{"loss":"mse_loss","input":[${'1,'.repeat(3000)}1],"target":0}`, // over the 4096-byte line limit
      good(3),
      '{"loss": "no_such_loss", "input": [1], "target": [1]}',
      '',
      '   ',
      `${good(4)}\r`, // CRLF
      JSON.stringify({ loss: 'mse_loss', input: new Array(101).fill(0), target: 0 }), // 101 > 100 elements
      JSON.stringify({ loss: 'mse_loss', input: [1, 'x'], target: 0 }),
      '[1, 2]',
      JSON.stringify({ input: [1], target: [0] }),
      good(5), // the last line, without a newline
    ].join('\n');
    const { status, lines } = await postNdjson(server.url, body, 97);
    expect(status).toBe(200);
    const answers = parseLines(lines);
    type Problem = { status: number; code: string; errors: Array<{ path: string }> };
    const problem = (i: number) => (answers[i] as { error: Problem }).error;
    expect(answers.length).toBe(12);
    expect(answers[0]).toEqual({ loss: 1 });
    expect(problem(1)).toMatchObject({ status: 400, code: 'LOSSD_MALFORMED_JSON' });
    expect(answers[2]).toEqual({ loss: 4 });
    expect(problem(3)).toMatchObject({ status: 413, code: 'LOSSD_BODY_TOO_LARGE' });
    expect(answers[4]).toEqual({ loss: 9 });
    expect(problem(5)).toMatchObject({ status: 404, code: 'LOSSD_UNKNOWN_LOSS', errors: [{ path: '/loss' }] });
    expect(answers[6]).toEqual({ loss: 16 });
    expect(problem(7)).toMatchObject({ status: 413, code: 'LOSSD_TOO_MANY_ELEMENTS', errors: [{ path: '/input' }] });
    // paths are relative to the item, as its single request's would be
    expect(problem(8)).toMatchObject({ status: 400, errors: [{ path: '/input/1' }] });
    expect(problem(9)).toMatchObject({ status: 400, code: 'LOSSD_INVALID_REQUEST', errors: [{ path: '' }] });
    expect(problem(10)).toMatchObject({ status: 400, code: 'LOSSD_INVALID_REQUEST', errors: [{ path: '/loss' }] });
    expect(answers[11]).toEqual({ loss: 25 });
  });

  it('never holds a line over the limit: 5 MB of one line sent slowly is a 413 line, the next line is answered', async () => {
    const call = openNdjson(server.url);
    await call.write(`${squareItem(7)}\n{"loss":"mse_loss","input":[`);
    const piece = '1,'.repeat(32 * 1024);
    for (let i = 0; i < 80; i++) await call.write(piece);
    await call.write(`1]}\n${squareItem(8)}`);
    call.end();
    const answers = parseLines(await call.done);
    expect(answers.length).toBe(3);
    expect(answers[0]).toEqual({ loss: 49 });
    expect((answers[1] as { error: { status: number; detail: string } }).error).toMatchObject({ status: 413 });
    expect(answers[2]).toEqual({ loss: 64 });
  });

  it('is the same item as in a JSON batch: the same answers, and paths under the item rather than /items/i', async () => {
    const items = [
      { loss: 'cross_entropy', input: [[2.0, 0.5, -1.0]], target: [0], label_smoothing: 0.1 },
      { loss: 'l1', input: [1, 2], target: [0, 5], reduction: 'none', encoding: 'flat' },
      { loss: 'mse_loss', input: [1, 2], target: [1, 2, 3, 4] },
    ];
    const batch = (await postJson(server.url, '/v1/batch', { items })).body as { results: unknown[] };
    const { lines } = await postNdjson(server.url, items.map((i) => JSON.stringify(i)).join('\n'));
    const answers = parseLines(lines);
    expect(answers.slice(0, 2)).toEqual(batch.results.slice(0, 2));
    const inBatch = (batch.results[2] as { error: { errors: Array<{ path: string }> } }).error;
    const inStream = (answers[2] as { error: { errors: Array<{ path: string }> } }).error;
    expect(inStream.errors.map((e) => `/items/2${e.path}`)).toEqual(inBatch.errors.map((e) => e.path));
  });

  it('answers each line before the request has ended (one line out for one line in)', async () => {
    const call = openNdjson(server.url);
    for (let i = 0; i < 5; i++) {
      await call.write(`${squareItem(i)}\n`);
      expect(JSON.parse((await call.line(i)) as string)).toEqual({ loss: i * i });
    }
    call.end();
    expect((await call.done).length).toBe(5);
  });

  it('is 200 from the start, before any line is sent, even when the first lines fail; a line may arrive in pieces', async () => {
    const call = openNdjson(server.url);
    // the headers come before the request has sent a byte of its body
    const res = await call.response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    await call.write('not json\n');
    expect(JSON.parse((await call.line(0)) as string)).toMatchObject({ error: { status: 400 } });
    await call.write('{"loss": "no_such_loss", "input": [1], "target": [1]}\n\n\n');
    expect(JSON.parse((await call.line(1)) as string)).toMatchObject({ error: { status: 404 } });
    // one line in three pieces, slowly: answered once its LF is in, and not before
    const line = `${squareItem(6)}\n`;
    await call.write(line.slice(0, 10));
    await sleep(100);
    await call.write(line.slice(10, -1));
    await sleep(200);
    expect(call.lines.length).toBe(2);
    await call.write('\n');
    expect(JSON.parse((await call.line(2)) as string)).toEqual({ loss: 36 });
    call.end();
    expect((await call.done).length).toBe(3);
  });

  it('keeps the JSON batch as it was, and other routes refuse NDJSON (415)', async () => {
    const json = await postJson(server.url, '/v1/batch', { items: [{ loss: 'mse', input: [2], target: [0] }] });
    expect(json.body).toEqual({ results: [{ loss: 4, grad: { input: [4] } }] });
    const other = await request(`${server.url}/v1/losses/mse_loss`, {
      body: '{"input": [1], "target": [0]}',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(other.status).toBe(415);
  });

  it('accepts media type parameters and an empty stream', async () => {
    const call = openNdjson(server.url, { 'content-type': 'application/x-ndjson; charset=utf-8' });
    await call.write(`${squareItem(3)}\n`);
    call.end();
    expect(parseLines(await call.done)).toEqual([{ loss: 9 }]);
    const empty = await postNdjson(server.url, '');
    expect(empty.status).toBe(200);
    expect(empty.lines).toEqual([]);
  });

  it('counts streamed items by outcome, and the stream by how it ended', async () => {
    const s = await startServer();
    try {
      await postNdjson(s.url, `${squareItem(1)}\n${squareItem(2)}\nnope\n{"loss":"x"}\n`);
      expect(await metric(s.url, 'lossd_stream_items_total{outcome="ok"}')).toBe(2);
      expect(await metric(s.url, 'lossd_stream_items_total{outcome="400"}')).toBe(1);
      expect(await metric(s.url, 'lossd_stream_items_total{outcome="404"}')).toBe(1);
      expect(await metric(s.url, 'lossd_stream_duration_seconds_count{end="complete"}')).toBe(1);
      expect(await metric(s.url, 'lossd_stream_window_items')).toBe(0);
      expect(await metric(s.url, 'lossd_streams_active')).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('logs one line per stream, with its items, errors and bytes', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
        done();
      },
    });
    const s = await startServer({}, { logger: pino({ level: 'info' }, stream) });
    const body = `${Array.from({ length: 300 }, (_, i) => squareItem(i)).join('\n')}\nbad\n`;
    try {
      await postNdjson(s.url, body);
    } finally {
      await s.close();
    }
    const lines = logs.filter((l) => l.url === '/v1/batch');
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ msg: 'request', status: 200, loss: 'stream', items: 301, errors: 1 });
    expect(lines[0]?.bytesIn).toBe(Buffer.byteLength(body));
    expect(lines[0]?.bytesOut).toBeGreaterThan(300 * 10);
  });
});

describe('back-pressure and the end of a stream', () => {
  /** Items with 160 kB answers from 21 kB lines (reduction "none", the answer in nested JSON). */
  const heavy = (() => {
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
  })();

  it('stops reading a client that stops reading, holds a bounded window, and loses nothing once it reads again', async () => {
    const s = await startServer({ bodyLimit: 1 << 20 });
    try {
      const call = openNdjson(s.url);
      const res = await call.response;
      res.pause();
      // write until the server has not taken a byte for a while
      let written = 0;
      let lines = 0;
      for (;;) {
        const wrote = call.write(`${heavy}\n`);
        const stalled = await Promise.race([wrote.then(() => false), sleep(1500).then(() => true)]);
        if (stalled) break;
        written += heavy.length + 1;
        lines++;
        if (written > 400e6) throw new Error('the server never stopped reading');
      }
      // the window (8 MiB of lines or answers) plus socket buffers, far below what was offered
      expect(written).toBeLessThan(64e6);
      expect(await metric(s.url, 'lossd_stream_window_bytes')).toBeLessThan(16 * 1024 * 1024);
      expect(await metric(s.url, 'lossd_stream_window_items')).toBeGreaterThan(0);
      res.resume();
      await call.write(`${squareItem(3)}\n`);
      call.end();
      const answers = await call.done;
      expect(answers.length).toBe(lines + 2); // the stalled write went through too
      expect(JSON.parse(answers[answers.length - 1] as string)).toEqual({ loss: 9 });
      expect((JSON.parse(answers[0] as string) as { loss: number[] }).loss.length).toBe(2000);
    } finally {
      await s.close();
    }
  });

  it('forgets a client that leaves half way: window freed, workers free, no stream left, the next request answered', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
        done();
      },
    });
    const s = await startServer({ bodyLimit: 1 << 20 }, { logger: pino({ level: 'info' }, stream) });
    try {
      const call = openNdjson(s.url);
      for (let i = 0; i < 200; i++) await call.write(`${heavy}\n`);
      await call.line(10);
      call.req.destroy();
      await call.closed;
      await until('the stream to be forgotten', async () => (await metric(s.url, 'lossd_streams_active')) === 0);
      expect(await metric(s.url, 'lossd_stream_window_items')).toBe(0);
      expect(await metric(s.url, 'lossd_stream_window_bytes')).toBe(0);
      expect(await metric(s.url, 'lossd_stream_duration_seconds_count{end="aborted"}')).toBe(1);
      await until('the workers to be free', () => s.pool.queued === 0);
      const next = await postJson(s.url, '/v1/losses/mse_loss', { input: [3], target: [0] });
      expect(next.body).toEqual({ loss: 9, grad: { input: [6] } });
      const line = logs.find((l) => l.url === '/v1/batch');
      expect(line).toMatchObject({ aborted: true, loss: 'stream' });
      expect(line?.items as number).toBeLessThan(200);
    } finally {
      await s.close();
    }
  });

  it('ends a stream with a last 503 line and closes its connection when the server shuts down', async () => {
    const s = await startServer();
    const call = openNdjson(s.url);
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        try {
          await call.write(`${squareItem(i % 100)}\n`);
        } catch {
          return;
        }
        if (i % 50 === 49) await sleep(5);
      }
    })();
    await call.line(200);
    s.lifecycle.draining = true;
    const closing = s.app.close();
    const answers = parseLines(await call.done);
    sending = false;
    await call.closed;
    await closing;
    await s.pool.close();
    await sender;
    const last = answers[answers.length - 1] as { error: { status: number; code: string } };
    expect(last.error).toMatchObject({ status: 503, code: 'LOSSD_SHUTTING_DOWN' });
    const answered = answers.slice(0, -1);
    expect(answered).toEqual(answered.map((_, i) => ({ loss: (i % 100) ** 2 })));
    expect(answers.length).toBeGreaterThan(200);
  });

  it('waits for room in a full pool queue rather than answering 503 lines', async () => {
    const s = await startServer({ maxQueue: 1 });
    try {
      const body = `${Array.from({ length: 3000 }, (_, i) => squareItem(i % 10)).join('\n')}\n`;
      const singles = Array.from({ length: 20 }, () =>
        postJson(s.url, '/v1/losses/mse_loss', { input: [1], target: [0] }),
      );
      const [stream, ...answered] = await Promise.all([postNdjson(s.url, body, 20), ...singles]);
      const answers = parseLines(stream.lines);
      expect(answers.length).toBe(3000);
      expect(answers).toEqual(answers.map((_, i) => ({ loss: (i % 10) ** 2 })));
      // single requests still get through (or a 503 of their own), never a stream line
      expect(answered.every((a) => a.status === 200 || a.status === 503)).toBe(true);
      expect(answered.some((a) => a.status === 200)).toBe(true);
    } finally {
      await s.close();
    }
  });
});
