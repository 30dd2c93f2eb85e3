// src/http/body-reader.ts reads each request body into one buffer of its own: sized from
// content-length once the body has sent its first megabyte (before that, a header alone commits
// little), grown for a chunked body, cut off at the byte limit, and never at the cost of the
// next request when a client leaves half way. A body sent with a content-encoding (gzip,
// deflate, br) is decoded here, and the decoded size is held to the same limit.

import { connect } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw.js';
import { type Answer, postChunked, postJson, type RunningServer, request, startServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ bodyLimit: 8 * 1024 * 1024, maxElements: 1_000_000 });
});
afterAll(async () => server.close());

const n = 200_000; // ~3.8 MB of JSON: past the first megabyte
const input = Array.from({ length: n }, (_, i) => (i % 7) / 7);
const expected0 = input.reduce((s, v) => s + v * v, 0) / n;

/** `text` in pieces of `size` characters. */
const piecesOf = (text: string, size: number) =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

describe('request bodies', () => {
  it('reads a body of several megabytes sent with its content-length', async () => {
    const answer = await postJson(server.url, '/v1/losses/mse_loss', { input, target: 0, grad_wrt: [] });
    expect(answer.status).toBe(200);
    expect((answer.body as { loss: number }).loss).toBeCloseTo(expected0, 12);
  });

  it('reads the same body sent in chunks without a content-length', async () => {
    const text = JSON.stringify({ input, target: 0, grad_wrt: [] });
    const answer = await postChunked(`${server.url}/v1/losses/mse_loss`, piecesOf(text, 100_000));
    expect(answer.status).toBe(200);
    expect((answer.body as { loss: number }).loss).toBeCloseTo(expected0, 12);
  });

  it('refuses a chunked body past the byte limit with a 413', async () => {
    const text = JSON.stringify({ input: [...input, ...input, ...input], target: 0 });
    expect(text.length).toBeGreaterThan(8 * 1024 * 1024);
    const answer = await postChunked(`${server.url}/v1/losses/mse_loss`, piecesOf(text, 1_000_000));
    expect(answer.status).toBe(413);
  });

  it('survives a client that declares 8 MB, sends 2 MB and leaves, and answers the next request', async () => {
    const { port } = new URL(server.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST /v1/losses/mse_loss HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 8000000\r\n\r\n',
        );
        socket.write(`{"input": [${'0.5,'.repeat(500_000)}`, () => {
          socket.destroy();
          resolve();
        });
      });
      socket.on('error', reject);
    });
    const answer = await postJson(server.url, '/v1/losses/mse_loss', { input: [1, 2], target: [0, 0] });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ loss: 2.5, grad: { input: [1, 2] } });
  });
});

describe('content-encoding', () => {
  const body = { input: [1, 2, 3], target: [1, 2, 5] };
  const expected = { loss: 4 / 3, grad: { input: [0, 0, -4 / 3] } };
  const text = JSON.stringify(body);

  const send = (bytes: Uint8Array | string, headers: Record<string, string>, path = '/v1/losses/mse_loss') =>
    request(`${server.url}${path}`, { body: bytes, headers });

  async function expectProblem(answer: Answer, status: number, code: string) {
    expect(answer.status).toBe(status);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status, code });
    // and the next plain request is answered as usual
    expect((await postJson(server.url, '/v1/losses/mse_loss', body)).body).toEqual(expected);
    return answer.body as { detail: string };
  }

  it.each([
    ['gzip', gzipSync(text)],
    ['x-gzip', gzipSync(text)],
    ['GZip', gzipSync(text)],
    ['deflate', deflateSync(text)],
    ['deflate', deflateRawSync(text)],
    ['br', brotliCompressSync(text)],
    ['identity', Buffer.from(text)],
    [' gzip , identity ', gzipSync(text)],
    ['', Buffer.from(text)],
  ])('decodes a body sent with content-encoding "%s"', async (coding, bytes) => {
    const answer = await send(bytes, { 'content-encoding': coding });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(expected);
  });

  it('decodes a large gzip body, sent with its length or in chunks, and a batch', async () => {
    const big = JSON.stringify({ input, target: 0, grad_wrt: [] });
    const zipped = gzipSync(big);
    expect(zipped.length).toBeLessThan(big.length / 2);
    const answer = await send(zipped, { 'content-encoding': 'gzip' });
    expect((answer.body as { loss: number }).loss).toBeCloseTo(expected0, 12);
    const pieces = Array.from({ length: Math.ceil(zipped.length / 50_000) }, (_, i) =>
      zipped.subarray(i * 50_000, (i + 1) * 50_000),
    );
    const chunked = await postChunked(`${server.url}/v1/losses/mse_loss`, pieces, { 'content-encoding': 'gzip' });
    expect((chunked.body as { loss: number }).loss).toBeCloseTo(expected0, 12);
    const batch = await send(
      brotliCompressSync(`{"items":[{"loss":"mse_loss",${text.slice(1)}]}`),
      {
        'content-encoding': 'br',
      },
      '/v1/batch',
    );
    expect(batch.body).toEqual({ results: [expected] });
  });

  it('reads the header name and value in any case', async () => {
    const zipped = gzipSync(text);
    const answer = await rawRequest(
      server.url,
      Buffer.concat([
        Buffer.from(
          `POST /v1/losses/mse_loss HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nCONTENT-ENCODING: GZIP\r\nContent-Length: ${zipped.length}\r\nConnection: close\r\n\r\n`,
        ),
        zipped,
      ]),
    );
    expect(answer?.status).toBe(200);
    expect(JSON.parse(answer?.body ?? '')).toEqual(expected);
  });

  it('refuses a body that inflates past the byte limit (a gzip bomb) with a 413, and stops decoding there', async () => {
    // 64 MB of JSON whitespace in 64 KB of gzip, eight times over: 512 MB in half a megabyte
    const member = gzipSync(Buffer.concat([Buffer.from(text), Buffer.alloc(64 << 20, 0x20)]), { level: 9 });
    const bomb = Buffer.concat(Array(8).fill(member));
    expect(bomb.length).toBeLessThan(1 << 20);
    const problem = await expectProblem(await send(bomb, { 'content-encoding': 'gzip' }), 413, 'LOSSD_BODY_TOO_LARGE');
    expect(problem.detail).toContain('decodes to more than');
    const br = brotliCompressSync(Buffer.alloc(9 << 20, 0x20));
    await expectProblem(await send(br, { 'content-encoding': 'br' }), 413, 'LOSSD_BODY_TOO_LARGE');
  });

  it('accepts a body that decodes to just under the limit', async () => {
    const padded = Buffer.concat([Buffer.from(text), Buffer.alloc(8 * 1024 * 1024 - text.length, 0x20)]);
    const answer = await send(gzipSync(padded), { 'content-encoding': 'gzip' });
    expect(answer.body).toEqual(expected);
    await expectProblem(
      await send(gzipSync(Buffer.concat([padded, Buffer.from(' ')])), { 'content-encoding': 'gzip' }),
      413,
      'LOSSD_BODY_TOO_LARGE',
    );
  });

  it.each([
    ['zstd', gzipSync(text)],
    ['compress', gzipSync(text)],
    ['gzip, gzip', gzipSync(gzipSync(text))],
    ['gzip, br', brotliCompressSync(gzipSync(text))],
    ['deflate;q=1', deflateSync(text)],
  ])('refuses content-encoding "%s" with a 415 that names the supported codings', async (coding, bytes) => {
    const problem = await expectProblem(
      await send(bytes, { 'content-encoding': coding }),
      415,
      'LOSSD_UNSUPPORTED_ENCODING',
    );
    expect(problem.detail).toMatch(/gzip, deflate, br/);
  });

  it.each([
    ['gzip', 'plain JSON', Buffer.from(text)],
    ['gzip', 'truncated gzip', gzipSync(text).subarray(0, 20)],
    ['gzip', 'gzip with a corrupt body', Buffer.from(gzipSync(text).map((b, i) => (i > 12 && i < 20 ? b ^ 0xff : b)))],
    ['gzip', 'brotli', brotliCompressSync(text)],
    ['deflate', 'plain JSON', Buffer.from(text)],
    ['deflate', 'truncated deflate', deflateSync(text).subarray(0, 10)],
    ['br', 'plain JSON', Buffer.from(text)],
    ['br', 'truncated brotli', brotliCompressSync(text).subarray(0, 10)],
    ['gzip', 'nothing', Buffer.alloc(0)],
    ['deflate', 'one byte', Buffer.of(0x78)],
  ])('answers a body claiming %s that is %s with a 400', async (coding, _what, bytes) => {
    await expectProblem(await send(bytes, { 'content-encoding': coding }), 400, 'LOSSD_MALFORMED_ENCODING');
  });

  it('answers gzip of bytes that are not JSON as malformed JSON', async () => {
    await expectProblem(
      await send(gzipSync('{"input": [1,'), { 'content-encoding': 'gzip' }),
      400,
      'LOSSD_MALFORMED_JSON',
    );
  });
});
