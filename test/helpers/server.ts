// A real lossd listening on 127.0.0.1 (an ephemeral port), with its worker pool running the
// compiled worker from dist/ (`npm test` builds first), and small fetch helpers.

import { request as httpRequest } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { type AppDeps, buildApp } from '../../src/app.js';
import { type Config, configWith } from '../../src/config.js';
import { createPool, type LossPool, poolOptionsFor } from '../../src/pool/pool.js';

export const WORKER_FILE = new URL('../../dist/src/pool/worker-entry.cjs', import.meta.url);

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly pool: LossPool;
  readonly lifecycle: { draining: boolean };
  close(): Promise<void>;
}

export async function startServer(
  overrides: Partial<Config> = {},
  { logger, timeouts }: { logger?: AppDeps['logger']; timeouts?: AppDeps['timeouts'] } = {},
): Promise<RunningServer> {
  const config = configWith({ workers: 2, ...overrides });
  const pool = createPool({ ...poolOptionsFor(config), workerFile: WORKER_FILE });
  const lifecycle = { draining: false };
  const app = await buildApp({ config, pool, lifecycle, logger, timeouts });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    app,
    pool,
    lifecycle,
    async close() {
      await app.close();
      await pool.close();
    },
  };
}

export interface Answer {
  status: number;
  contentType: string;
  headers: Headers;
  text: string;
  body: unknown;
}

export async function request(
  url: string,
  init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? init.headers : { 'content-type': 'application/json', ...init.headers },
    body: init.body,
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', headers: res.headers, text, body };
}

export function postJson(base: string, path: string, payload: unknown): Promise<Answer> {
  return request(`${base}${path}`, { body: JSON.stringify(payload) });
}

/** POSTs JSON text in pieces with no content-length (transfer-encoding: chunked). */
export function postChunked(
  url: string,
  pieces: ReadonlyArray<string | Uint8Array>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', headers, text, body });
        });
      },
    );
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}
