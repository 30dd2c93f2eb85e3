// Writes openapi/openapi.json: the very document GET /openapi.json serves, built from the same
// app (the stamp `info.x-generated-by` is added by src/http/openapi.ts, so the committed file and
// the served document are equal). Keys are sorted at every level, so a regeneration shows only
// what changed. Run it with `npm run openapi` whenever a route, a loss or a schema changes;
// test/openapi/document.test.ts fails when the committed file drifts from what the server serves.
//
// Generation never computes a loss, so the app gets a pool that refuses work instead of
// worker threads (and nothing here needs `npm run build`).

import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { configWith } from '../src/config.js';
import { failure } from '../src/errors.js';
import type { LossPool } from '../src/pool/pool.js';

export const OPENAPI_FILE = fileURLToPath(new URL('./openapi.json', import.meta.url));

/** A LossPool that is never asked to compute: generating the document runs no loss. */
const noPool: LossPool = {
  run: async () => failure('LOSSD_INTERNAL', 'openapi/generate.ts runs no loss'),
  runStream: async () => failure('LOSSD_INTERNAL', 'openapi/generate.ts runs no loss'),
  ping: async () => false,
  size: 0,
  queued: 0,
  utilization: 0,
  close: async () => {},
};

/** The same value with object keys sorted at every level (arrays keep their order). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

/** The document as the committed file holds it: pretty-printed, keys sorted, a final newline. */
export function serialize(doc: unknown): string {
  return `${JSON.stringify(sortKeys(doc), null, 2)}\n`;
}

/**
 * The served document, from an app built with the default configuration (the environment is
 * ignored: limits quoted in descriptions must not depend on who runs the generator).
 */
export async function generate(): Promise<unknown> {
  const app = await buildApp({ config: configWith(), pool: noPool });
  try {
    await app.ready();
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
    return res.json();
  } finally {
    await app.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = serialize(await generate());
  await writeFile(OPENAPI_FILE, text);
  console.log(`wrote ${OPENAPI_FILE} (${text.length} bytes)`);
}
