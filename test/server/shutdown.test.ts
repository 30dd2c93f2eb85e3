// The process: on SIGTERM it stops accepting, finishes the requests in flight (none is lost),
// and exits 0.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

const SERVER = new URL('../../dist/src/server.js', import.meta.url).pathname;

async function startProcess(): Promise<{ child: ChildProcess; url: string; logs: string[] }> {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOSSD_WORKERS: '2', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${logs.join('')}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      logs.push(chunk.toString());
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(logs.join(''));
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', () => reject(new Error(`exited early: ${logs.join('')}`)));
  });
  return { child, url, logs };
}

describe('graceful shutdown', () => {
  it('finishes every request in flight after SIGTERM, then exits 0', async () => {
    const { child, url, logs } = await startProcess();
    const n = 2_000_000;
    const body = JSON.stringify({
      input: { shape: [n], dtype: 'float64', b64: Buffer.alloc(n * 8, 1).toString('base64') },
      target: 0,
      encoding: 'b64',
    });
    const inFlight = Array.from({ length: 4 }, () =>
      fetch(`${url}/v1/losses/mse_loss`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { loss: number } })),
    );
    await new Promise((r) => setTimeout(r, 150));
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(Number.isFinite(a.body.loss)).toBe(true);
    }
    const [code] = await exited;
    expect(code).toBe(0);
    expect(logs.join('')).toContain('shutting down');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
