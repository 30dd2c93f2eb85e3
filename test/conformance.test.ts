// Every golden case of every registered loss, over a real socket: PyTorch 1.13 (float64
// autograd) is the oracle, compared as test/golden/README.md says. A registered loss without
// golden cases fails here, so no loss can land unjudged.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOSSES } from '../src/registry/index.js';
import { GOLDEN_DIR, type GoldenFile, judge, loadGolden } from './helpers/golden.js';
import { postJson, type RunningServer, startServer } from './helpers/server.js';

const BEYOND_DIR = new URL('./golden-beyond', import.meta.url).pathname;
// random cases computed by PyTorch 1.13.1 (scripts/torch-cases/generate.py, test/golden-torch/README.md)
const TORCH_DIR = new URL('./golden-torch', import.meta.url).pathname;
// random cases for the eight losses beyond torch.nn.functional, computed by their references
// (scripts/torch-cases/generate_beyond.py, test/golden-torch-beyond/README.md)
const TORCH_BEYOND_DIR = new URL('./golden-torch-beyond', import.meta.url).pathname;

function goldenFiles(): GoldenFile[] {
  const files = loadGolden(GOLDEN_DIR);
  try {
    files.push(...loadGolden(BEYOND_DIR));
  } catch {
    // no beyond cases copied yet
  }
  files.push(...loadGolden(TORCH_DIR));
  files.push(...loadGolden(TORCH_BEYOND_DIR));
  return files;
}

const files = goldenFiles();
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
