// Every golden case of every registered loss, over a real socket: PyTorch 1.13 (float64
// autograd) is the oracle, compared as test/golden/README.md says. And every loss's own example
// (its descriptor's `example`) answers 200 with gradients that agree with central finite
// differences, for every argument that the request lets PyTorch differentiate. A registered
// loss without golden cases or with a wrong gradient fails here, so no loss can land unjudged.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLoss, LOSSES } from '../src/registry/index.js';
import type { AnyLossDescriptor } from '../src/registry/types.js';
import { type GoldenFile, judge, loadGolden } from './helpers/golden.js';
import { gradMismatches } from './helpers/gradcheck.js';
import { postJson, type RunningServer, startServer } from './helpers/server.js';
import { asV1Body, mapPath, postV2, samePlace, toV2, v2Body } from './helpers/v2.js';

// The shared golden cases, the beyond-PyTorch ones, the third family's (each loss against its
// named reference), and random cases computed by PyTorch 1.13.1 and by the beyond losses'
// references (scripts/torch-cases, each directory's README.md).
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

// Where PyTorch's gradient is by design not the derivative of the loss as computed, and how
// the finite differences follow it (LOSSES.md states both):
// - ctc_loss answers exp(log_probs) - occupancy, the gradient with respect to the logits behind
//   a log_softmax: differences are taken through one (the example's rows are normalized).
// - complete_box_iou_loss holds alpha constant (torchvision computes it under no_grad); that
//   and the true derivative agree where the aspect term v is 0, as in the example (each pair of
//   boxes has one aspect ratio); the golden cases judge the rest.
const BEHIND_LOG_SOFTMAX: Readonly<Record<string, readonly string[]>> = { ctc_loss: ['log_probs'] };

describe('every loss’s example', () => {
  it.each(LOSSES.map((l) => [l.name, l] as const))(
    '%s answers 200, with gradients that agree with central differences',
    async (name, loss) => {
      const body = loss.example as Record<string, unknown>;
      // every differentiable float argument the example carries; one that is differentiable
      // only in some requests (differentiableWhen) is left out when the server says this is
      // not one of them, which must then be what the descriptor declares
      let wrt = loss.args.filter((a) => a.differentiable && a.kind !== 'int' && a.name in body).map((a) => a.name);
      let answer = await postJson(server.url, `/v1/losses/${name}`, { ...body, grad_wrt: wrt });
      while (answer.status === 400) {
        const problem = answer.body as { code: string; errors: Array<{ path: string }> };
        expect(problem.code).toBe('LOSSD_GRADIENT_UNAVAILABLE');
        const refused = wrt[Number(problem.errors[0]?.path.split('/')[2])];
        expect(loss.args.find((a) => a.name === refused)?.differentiableWhen).toBeDefined();
        wrt = wrt.filter((n) => n !== refused);
        answer = await postJson(server.url, `/v1/losses/${name}`, { ...body, grad_wrt: wrt });
      }
      expect(answer.status).toBe(200);
      expect(wrt.length).toBeGreaterThan(0);
      const grads = (answer.body as { grad: Record<string, unknown> }).grad;
      const behindLogSoftmax = BEHIND_LOG_SOFTMAX[name] ?? [];
      expect(await gradMismatches(server.url, name, body, grads, wrt, { behindLogSoftmax })).toEqual([]);
    },
  );
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
          // the status here; the path below, mapped onto the v2 request
          expect(judge({ ...c, expected: { ...c.expected, path: undefined } }, answer.status, answer.json)).toEqual([]);
          const v1 = await postJson(server.url, `/v1/losses/${encodeURIComponent(name)}`, c.request);
          const v1Path = (v1.body as { errors?: Array<{ path: string }> }).errors?.[0]?.path;
          const v2Path = (answer.json as { errors?: Array<{ path: string }> }).errors?.[0]?.path;
          if (c.expected.path !== undefined) {
            const mapped = mapPath(c.expected.path, t);
            expect(
              samePlace(v2Path ?? '(none)', mapped),
              `v2 names ${v2Path}, the case ${c.expected.path} (→ ${mapped})`,
            ).toBe(true);
          }
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
