// Every golden case of every registered loss, over a real socket: PyTorch 1.13 (float64
// autograd) is the oracle, compared as test/golden/README.md says. A registered loss without
// golden cases fails here, so no loss can land unjudged.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLoss, LOSSES } from '../src/registry/index.js';
import type { AnyLossDescriptor } from '../src/registry/types.js';
import { type GoldenFile, judge, loadGolden } from './helpers/golden.js';
import { postJson, type RunningServer, startServer } from './helpers/server.js';
import { asV1Body, mapPath, postV2, samePlace, toV2, v2Body } from './helpers/v2.js';

// The shared golden cases, the beyond-PyTorch ones, and random cases computed by PyTorch 1.13.1
// and by the beyond losses' references (scripts/torch-cases, each directory's README.md).
const DIRS = ['golden', 'golden-beyond', 'golden-torch', 'golden-torch-beyond'].map(
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

// The same cases through the Open Inference Protocol v2 (API.md "Open Inference Protocol v2"),
// each translated from its v1 request (test/helpers/v2.ts): once with JSON tensors, once with
// every tensor binary and every output asked for in binary. Answers are judged against the same
// expected values; a refusal must keep its status, carry the protocol's `error` member, and
// name the same place as v1 does, mapped onto the v2 request.
for (const file of files.filter((f) => registered.has(f.loss))) {
  for (const mode of ['json', 'binary'] as const) {
    describe(`${file.loss} matches PyTorch over v2 (${mode})`, () => {
      it.each(file.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
        const name = c.loss ?? file.loss;
        const loss = findLoss(name) ?? (findLoss(file.loss) as AnyLossDescriptor);
        const t = toV2(loss, c.request, mode === 'binary');
        const { body, headers } = v2Body(t);
        const answer = await postV2(`${server.url}/v2/models/${encodeURIComponent(name)}/infer`, body, headers);
        if (answer.status !== 200) {
          expect(answer.contentType).toMatch(/^application\/problem\+json/);
          expect(typeof answer.json?.error).toBe('string');
          expect(judge(c, answer.status, answer.json)).toEqual([]);
          const v1 = await postJson(server.url, `/v1/losses/${encodeURIComponent(name)}`, c.request);
          const v1Path = (v1.body as { errors?: Array<{ path: string }> }).errors?.[0]?.path;
          const v2Path = (answer.json as { errors?: Array<{ path: string }> }).errors?.[0]?.path;
          if (v1Path !== undefined) {
            const mapped = mapPath(v1Path, t);
            expect(samePlace(v2Path ?? '(none)', mapped), `v2 names ${v2Path}, v1 ${v1Path} (→ ${mapped})`).toBe(true);
          }
          return;
        }
        expect(answer.contentType).toMatch(mode === 'binary' ? /^application\/octet-stream/ : /^application\/json/);
        expect(judge(c, answer.status, asV1Body(answer, typeof c.expected.loss !== 'object'))).toEqual([]);
      });
    });
  }
}
