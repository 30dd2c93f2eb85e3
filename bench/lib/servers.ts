// The servers the HTTP benchmarks talk to, each in its own process, started the same way:
//   lossd  the real service (dist/src/server.js: `npm run build` first), LOG_LEVEL=warn
//   bare   bench/http/bare-server.ts: Fastify with one route that parses the same body with
//          Fastify's JSON parser on its main thread and answers a constant (the baseline)

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOSSD = `${ROOT}dist/src/server.js`;
const BARE = `${ROOT}bench/http/bare-server.ts`;

export interface Running {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, path: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}${path}`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} not ready after 30 s`);
}

async function start(args: string[], env: Record<string, string>, readyPath: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child, readyPath);
  return {
    url,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}

export function startLossd(workers = 2, extraEnv: Record<string, string> = {}): Promise<Running> {
  if (!existsSync(LOSSD)) throw new Error(`${LOSSD} is missing: run npm run build first`);
  return start(
    [LOSSD],
    { LOG_LEVEL: 'warn', LOSSD_WORKERS: String(workers), LOSSD_REQUEST_TIMEOUT_MS: '120000', ...extraEnv },
    '/readyz',
  );
}

export function startBare(): Promise<Running> {
  return start(['--import', 'tsx', BARE], {}, '/healthz');
}

/** Resident set size and its peak (VmHWM) of a process, in bytes (Linux). */
export function rss(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Resets a process's peak RSS to its current RSS (Linux: clear_refs 5); false if not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
