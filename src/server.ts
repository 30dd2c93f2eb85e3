// The process: configuration, logger, worker pool, listening, and a graceful shutdown that
// turns readiness off, finishes in-flight requests, then exits.

import './gc-flags.js';
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createPool, poolOptionsFor } from './pool/pool.js';

const loaded = loadConfig();
if (!loaded.ok) {
  process.stderr.write(`lossd: ${loaded.message}\n`);
  process.exit(1);
}
const config = loaded.config;

// The logger is the process's: JSON lines on stdout, one per request (app.ts), handed to Fastify.
const logger = pino({ level: config.logLevel });
const pool = createPool(poolOptionsFor(config));
const lifecycle = { draining: false };
const app = await buildApp({ config, pool, lifecycle, logger });

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down');
  lifecycle.draining = true;
  await app.close();
  await pool.close();
});

try {
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ workers: config.workers }, 'lossd ready');
} catch (err) {
  app.log.error({ err }, 'could not listen');
  await pool.close();
  process.exit(1);
}
