// NDJSON streams against the real process (dist/src/server.js): 100,000 items through one
// connection with the server's resident memory flat, and SIGTERM in the middle of a stream
// (a last 503 line, the connection closed, the process exiting 0).

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openNdjson } from '../helpers/ndjson.js';

const SERVER = new URL('../../dist/src/server.js', import.meta.url).pathname;
const MB = 1024 * 1024;

async function startProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOSSD_WORKERS: '2', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let logs = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${logs}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(logs);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', () => reject(new Error(`exited early: ${logs}`)));
  });
  return { child, url };
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
}

/** mse_loss of [v, 2, ..., 8] against zeros: (v² + 203) / 8. */
const item = (i: number) => `{"loss":"mse_loss","input":[${i % 100},2,3,4,5,6,7,8],"target":[0,0,0,0,0,0,0,0]}\n`;
const expected = (i: number) => ((i % 100) ** 2 + 203) / 8;

describe('an NDJSON stream against the server process', () => {
  it('streams 100,000 items through one connection with the RSS flat', async () => {
    const { child, url } = await startProcess();
    const pid = child.pid as number;
    try {
      const total = 100_000;
      const call = openNdjson(url);
      let base = 0;
      let peak = 0;
      let wrong = 0;
      let seen = 0;
      const sampler = setInterval(() => {
        if (seen >= 0.3 * total) {
          const rss = rssOf(pid);
          if (base === 0) base = rss;
          peak = Math.max(peak, rss);
        }
      }, 100);
      const reading = (async () => {
        const res = await call.response;
        let rest = '';
        res.setEncoding('utf8');
        for await (const chunk of res as AsyncIterable<string>) {
          const parts = (rest + chunk).split('\n');
          rest = parts.pop() ?? '';
          for (const p of parts) if ((JSON.parse(p) as { loss: number }).loss !== expected(seen++)) wrong++;
        }
      })();
      for (let i = 0; i < total; i += 500) {
        let text = '';
        for (let j = i; j < i + 500; j++) text += item(j);
        await call.write(text);
      }
      call.end();
      await reading;
      clearInterval(sampler);
      expect(seen).toBe(total);
      expect(wrong).toBe(0);
      // warm from 30% on: what grows after that is what a longer stream would keep growing
      expect(base).toBeGreaterThan(0);
      expect((peak - base) / MB).toBeLessThan(96);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('on SIGTERM, ends a stream with a last 503 line, closes it, and exits 0', async () => {
    const { child, url } = await startProcess();
    const call = openNdjson(url);
    let sending = true;
    void (async () => {
      for (let i = 0; sending; i += 100) {
        let text = '';
        for (let j = i; j < i + 100; j++) text += item(j);
        try {
          await call.write(text);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await call.line(500);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const lines = await call.done;
    sending = false;
    await call.closed;
    const [code] = await exited;
    expect(code).toBe(0);
    const last = JSON.parse(lines[lines.length - 1] as string) as { error: { status: number; code: string } };
    expect(last.error).toMatchObject({ status: 503, code: 'LOSSD_SHUTTING_DOWN' });
    const losses = lines.slice(0, -1).map((l) => (JSON.parse(l) as { loss: number }).loss);
    expect(losses).toEqual(losses.map((_, i) => expected(i)));
  });
});
