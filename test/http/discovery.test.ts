// Discovery: every loss, from the registry, with what a client needs to call it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOSSES } from '../../src/registry/index.js';
import { postJson, type RunningServer, request, startServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server.close());

interface Info {
  name: string;
  aliases: string[];
  args: Array<{ name: string; kind: string; required: boolean; differentiable: boolean }>;
  options: Record<string, { default?: unknown }>;
  default_grad_wrt: string[];
  formula: string;
  latex: string;
  reference: string;
  endpoint: string;
  example: Record<string, unknown>;
}

describe('GET /v1/losses', () => {
  it('lists every registered loss once, by canonical name', async () => {
    const { body } = await request(`${server.url}/v1/losses`);
    const names = (body as { losses: Info[] }).losses.map((l) => l.name);
    expect(names).toEqual(LOSSES.map((l) => l.name));
  });

  it('gives every loss an example body that its endpoint answers with 200', async () => {
    const { body } = await request(`${server.url}/v1/losses`);
    for (const info of (body as { losses: Info[] }).losses) {
      expect(info.example).toEqual(LOSSES.find((l) => l.name === info.name)?.example);
      const answer = await postJson(server.url, info.endpoint, info.example);
      expect(answer.status, info.name).toBe(200);
    }
  });

  it('describes cross_entropy as PyTorch defines it', async () => {
    const { body } = await request(`${server.url}/v1/losses/cross_entropy`);
    const info = body as Info;
    expect(info.args.map((a) => [a.name, a.kind, a.required])).toEqual([
      ['input', 'float', true],
      ['target', 'float-or-int', true],
      ['weight', 'float', false],
    ]);
    expect(info.options.reduction?.default).toBe('mean');
    expect(info.options.ignore_index?.default).toBe(-100);
    expect(info.options.label_smoothing?.default).toBe(0);
    expect(info.default_grad_wrt).toEqual(['input']);
    expect(info.formula.length).toBeGreaterThan(0);
    expect(info.latex.length).toBeGreaterThan(0);
  });

  it('answers an alias with its canonical entry', async () => {
    const { body } = await request(`${server.url}/v1/losses/mae`);
    expect((body as Info).name).toBe('l1_loss');
    expect((body as Info).aliases).toEqual(['mae', 'l1']);
  });

  it('answers an unknown name with a 404 problem listing the known names', async () => {
    const answer = await request(`${server.url}/v1/losses/softmax`);
    expect(answer.status).toBe(404);
    expect((answer.body as { known: string[] }).known).toContain('nll_loss');
  });
});
