// An NDJSON stream to POST /v1/batch over node:http, both directions at once: lines are
// written as the test likes, answers are read line by line as they arrive.

import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { request } from './server.js';

export interface NdjsonCall {
  readonly req: ClientRequest;
  /** Answer lines received so far. */
  readonly lines: string[];
  /** The response, once its headers are in. */
  readonly response: Promise<IncomingMessage>;
  /** The next answer line (the index-th overall), once it has arrived; null if the answer ended first. */
  line(index: number): Promise<string | null>;
  /** Writes text, resolving once the request's buffer has room again. */
  write(text: string | Buffer): Promise<void>;
  end(): void;
  /** Every answer line, once the response has ended. */
  readonly done: Promise<string[]>;
  /** The connection closed (by either side). */
  readonly closed: Promise<void>;
}

export function openNdjson(url: string, headers: Record<string, string> = {}): NdjsonCall {
  const req = httpRequest(`${url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...headers },
  });
  // the headers go at once, not with the first line: the server answers with its own at once
  req.flushHeaders();
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let ended = false;
  const notify = () => {
    for (const w of waiters.splice(0)) w();
  };
  const closed = new Promise<void>((resolve) => {
    req.on('socket', (s: Socket) => s.once('close', () => resolve()));
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  const done = response.then(
    (res) =>
      new Promise<string[]>((resolve, reject) => {
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const parts = (rest + chunk).split('\n');
          rest = parts.pop() ?? '';
          lines.push(...parts);
          notify();
        });
        res.on('end', () => {
          if (rest !== '') lines.push(rest);
          ended = true;
          notify();
          resolve(lines);
        });
        res.on('error', reject);
      }),
  );
  // a test that ends early does not leave an unhandled rejection behind
  done.catch(() => {});
  return {
    req,
    lines,
    response,
    done,
    closed,
    async line(index) {
      while (lines.length <= index && !ended) await new Promise<void>((r) => waiters.push(r));
      return lines[index] ?? null;
    },
    write(text) {
      return new Promise<void>((resolve, reject) => {
        if (req.write(text)) resolve();
        else {
          const onError = (e: Error) => reject(e);
          req.once('error', onError);
          req.once('drain', () => {
            req.off('error', onError);
            resolve();
          });
        }
      });
    },
    end() {
      req.end();
    },
  };
}

/** A one-shot stream: writes `body` in `pieces` chunks and reads every answer line. */
export async function postNdjson(
  url: string,
  body: string | Buffer,
  pieces = 1,
): Promise<{ status: number; type: string; lines: string[] }> {
  const call = openNdjson(url);
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const size = Math.ceil(bytes.length / pieces);
  for (let at = 0; at < bytes.length; at += size) await call.write(bytes.subarray(at, at + size));
  call.end();
  const res = await call.response;
  const lines = await call.done;
  return { status: res.statusCode ?? 0, type: String(res.headers['content-type']), lines };
}

/** Each answer line as JSON (a blank last line, from the final LF, is not one). */
export function parseLines(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines.filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A metric's value in the server's /metrics text (0 when absent). */
export async function metric(url: string, name: string): Promise<number> {
  const text = (await request(`${url}/metrics`)).text;
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Polls `check` every 25 ms until it holds; fails after `ms`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
