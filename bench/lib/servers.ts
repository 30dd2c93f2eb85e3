// The servers the HTTP benchmarks talk to, each in its own process, started the same way:
//   lossd  the real service (dist/src/server.js: `npm run build` first), LOG_LEVEL=warn
//   bare   bench/http/bare-server.ts: Fastify with one route that parses the same body with
//          Fastify's JSON parser on its main thread and answers a constant (the baseline)
//   peer   bench/peer/app.py: the service a Python team would write instead (FastAPI + uvicorn
//          + PyTorch, `uvicorn --workers 2`), on Debian's python3 (npm run bench:peer-setup)

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOSSD = `${ROOT}dist/src/server.js`;
const BARE = `${ROOT}bench/http/bare-server.ts`;
const PEER_DIR = `${ROOT}bench/peer`;
/** The peer's Python: Debian's, where apt puts python3-torch (not a pyenv or venv one on PATH). */
export const PEER_PYTHON = process.env.PEER_PYTHON ?? '/usr/bin/python3';
export const PEER_SETUP = 'npm run bench:peer-setup';

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

async function waitReady(url: string, child: ChildProcess, path: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
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
  throw new Error(`server at ${url} not ready after ${ms / 1000} s`);
}

interface Command {
  readonly file: string;
  readonly args: (port: number) => string[];
  /** In a process group of its own, stopped as a group (a server that forks workers). */
  readonly group?: boolean;
}

async function start(
  command: Command,
  env: Record<string, string>,
  readyPath: string,
  readyMs = 30_000,
): Promise<Running> {
  const port = await freePort();
  const child = spawn(command.file, command.args(port), {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: command.group === true,
  });
  const pid = child.pid as number;
  const signal = (s: NodeJS.Signals) => {
    try {
      if (command.group) process.kill(-pid, s);
      else child.kill(s);
    } catch {
      // already gone
    }
  };
  // a group of its own does not get the terminal's Ctrl-C, nor die with this process
  const orphan = () => signal('SIGKILL');
  const interrupted = (s: NodeJS.Signals) => {
    orphan();
    process.exit(s === 'SIGINT' ? 130 : 143);
  };
  if (command.group) {
    process.once('exit', orphan);
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const stop = async () => {
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    if (command.group) {
      signal('SIGKILL'); // any worker its supervisor left behind
      process.off('exit', orphan);
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
    }
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child, readyPath, readyMs);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, pid, stop };
}

const node = (args: string[]): Command => ({ file: process.execPath, args: () => args });

/** lossd from dist/ with `workers` workers, on this process's node or the binary `nodePath`. */
export function startLossd(
  workers = 2,
  extraEnv: Record<string, string> = {},
  nodePath = process.execPath,
): Promise<Running> {
  if (!existsSync(LOSSD)) throw new Error(`${LOSSD} is missing: run npm run build first`);
  return start(
    { file: nodePath, args: () => [LOSSD] },
    { LOG_LEVEL: 'warn', LOSSD_WORKERS: String(workers), LOSSD_REQUEST_TIMEOUT_MS: '120000', ...extraEnv },
    '/readyz',
  );
}

export function startBare(): Promise<Running> {
  return start(node(['--import', 'tsx', BARE]), {}, '/healthz');
}

/** Whether the peer can run here: undefined if so, else why not (for the report). */
export function peerUnavailable(): string | undefined {
  const r = spawnSync(PEER_PYTHON, ['-c', 'import torch, fastapi, uvicorn, numpy, ujson'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) return `${PEER_PYTHON}: ${r.error.message}; install with ${PEER_SETUP}`;
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`;
    return `${PEER_PYTHON}: ${last}; install with ${PEER_SETUP}`;
  }
  return undefined;
}

/**
 * The Python peer: uvicorn with `workers` processes (one per core, like lossd's 2 workers),
 * torch at 1 thread each, access log off (lossd runs at LOG_LEVEL=warn). Its own process group,
 * stopped as one.
 */
export function startPeer(workers = 2): Promise<Running> {
  return start(
    {
      file: PEER_PYTHON,
      args: (port) => [
        '-m',
        'uvicorn',
        '--app-dir',
        PEER_DIR,
        'app:app',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--workers',
        String(workers),
        '--log-level',
        'warning',
        '--no-access-log',
      ],
      group: true,
    },
    { PYTHONDONTWRITEBYTECODE: '1', PEER_TORCH_THREADS: '1' },
    '/healthz',
    90_000,
  );
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
