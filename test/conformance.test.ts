// Every golden case of every registered loss, over a real socket: PyTorch 1.13 (float64
// autograd) is the oracle, compared as test/golden/README.md says. A registered loss without
// golden cases fails here, so no loss can land unjudged.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOSSES } from '../src/registry/index.js';
import { type GoldenFile, judge, loadGolden } from './helpers/golden.js';
import { postJson, type RunningServer, startServer } from './helpers/server.js';

// The shared golden cases, the beyond-PyTorch ones, and random cases computed by PyTorch 1.13.1
// and by the beyond losses' references (scripts/torch-cases, each directory's README.md).
const DIRS = ['golden', 'golden-beyond', 'golden-torch', 'golden-torch-beyond', 'golden-third'].map(
  (d) => new URL(`./${d}`, import.meta.url).pathname,
);
// more directories of the same format, ':'-separated: freshly generated cases, for one
const EXTRA_DIRS = process.env.LOSSD_GOLDEN_DIRS?.split(':').filter(Boolean) ?? [];

const files: GoldenFile[] = [...DIRS, ...EXTRA_DIRS].flatMap((dir) => loadGolden(dir));
const registered = new Set(LOSSES.map((l) => l.name));

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describe('the registry', () => {
  it.each(LOSSES.map((l) => [l.name]))('has golden cases for %s', (name) => {
    const file = files.find((f) => f.loss === name);
    expect(file?.cases.length ?? 0).toBeGreaterThan(0);
  });
});

for (const file of files.filter((f) => registered.has(f.loss))) {
  describe(`${file.loss} matches PyTorch over HTTP`, () => {
    it.each(file.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
      const answer = await postJson(server.url, `/v1/losses/${encodeURIComponent(c.loss ?? file.loss)}`, c.request);
      if (answer.status !== 200) expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(judge(c, answer.status, answer.body)).toEqual([]);
    });
  });
}
