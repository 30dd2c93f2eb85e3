// Configuration from the environment: defaults that need nothing, and a clear refusal of a
// bad value, naming the variable (the server then exits non-zero before listening).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('needs no configuration: port 8080 on all interfaces', () => {
    const r = loadConfig({});
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.config.port).toBe(8080);
      expect(r.config.host).toBe('0.0.0.0');
      expect(r.config.workers).toBeGreaterThan(0);
      expect(r.config.apiKey).toBeUndefined();
      expect(r.config.rateLimit).toBeUndefined();
    }
  });

  it('reads every variable', () => {
    const r = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOSSD_WORKERS: '3',
      LOSSD_MAX_QUEUE: '10',
      LOSSD_BODY_LIMIT: '1000',
      LOSSD_MAX_ELEMENTS: '50',
      LOSSD_REQUEST_TIMEOUT_MS: '100',
      LOSSD_API_KEY: 'k',
      LOSSD_RATE_LIMIT: '60',
    });
    expect(r).toMatchObject({
      ok: true,
      config: {
        port: 9000,
        host: '127.0.0.1',
        logLevel: 'warn',
        workers: 3,
        maxQueue: 10,
        bodyLimit: 1000,
        maxElements: 50,
        requestTimeoutMs: 100,
        apiKey: 'k',
        rateLimit: 60,
      },
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['LOSSD_WORKERS', '0'],
    ['LOSSD_WORKERS', '1.5'],
    ['LOG_LEVEL', 'loud'],
    ['LOSSD_BODY_LIMIT', '-1'],
    ['LOSSD_RATE_LIMIT', 'lots'],
  ])('refuses %s=%s, naming it', (name, value) => {
    const r = loadConfig({ [name]: value });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(name);
  });

  it('makes the server exit non-zero with the message before it listens', () => {
    const server = new URL('../dist/src/server.js', import.meta.url).pathname;
    const run = spawnSync(process.execPath, [server], {
      env: { ...process.env, PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('PORT');
  });
});
