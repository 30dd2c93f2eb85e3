// src/http/body-reader.ts reads each request body into one buffer of its own: sized from
// content-length once the body has sent its first megabyte (before that, a header alone commits
// little), grown for a chunked body, cut off at the byte limit, and never at the cost of the
// next request when a client leaves half way.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postChunked, postJson, type RunningServer, startServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ bodyLimit: 8 * 1024 * 1024, maxElements: 1_000_000 });
});
afterAll(async () => server.close());

const n = 200_000; // ~3.8 MB of JSON: past the first megabyte
const input = Array.from({ length: n }, (_, i) => (i % 7) / 7);
const expected = input.reduce((s, v) => s + v * v, 0) / n;

/** `text` in pieces of `size` characters. */
const piecesOf = (text: string, size: number) =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

describe('request bodies', () => {
  it('reads a body of several megabytes sent with its content-length', async () => {
    const answer = await postJson(server.url, '/v1/losses/mse_loss', { input, target: 0, grad_wrt: [] });
    expect(answer.status).toBe(200);
    expect((answer.body as { loss: number }).loss).toBeCloseTo(expected, 12);
  });

  it('reads the same body sent in chunks without a content-length', async () => {
    const text = JSON.stringify({ input, target: 0, grad_wrt: [] });
    const answer = await postChunked(`${server.url}/v1/losses/mse_loss`, piecesOf(text, 100_000));
    expect(answer.status).toBe(200);
    expect((answer.body as { loss: number }).loss).toBeCloseTo(expected, 12);
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
