// A group of stream lines in the worker's pipeline: each line answered on its own line, in
// order, exactly as the same item of a JSON batch (paths relative to the item), with a line's
// malformed JSON, bad envelope or unknown loss its own error line, and the outcomes counted.

import { describe, expect, it } from 'vitest';
import { runBatch } from '../../src/pipeline/run-batch.js';
import { runStreamGroup } from '../../src/pipeline/run-stream.js';

const items: unknown[] = [
  { loss: 'cross_entropy', input: [[2.0, 0.5, -1.0]], target: [0], label_smoothing: 0.1 },
  { loss: 'mse', input: [1, 2], target: [0, 5], reduction: 'none', encoding: 'flat' },
  { loss: 'nll_loss', input: [[-1, -2]], target: [5] },
  { loss: 'nope', input: [1] },
  { loss: 'l1_loss', input: [1], target: [0], reductoin: 'sum' },
];

function group(lines: string[]) {
  const out = runStreamGroup(Buffer.from(lines.join('\n')), 1000);
  const text = Buffer.from(out.body).toString();
  expect(text.endsWith('\n')).toBe(true);
  return {
    ...out,
    answers: text
      .slice(0, -1)
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('runStreamGroup', () => {
  it('answers each line as the same item of a JSON batch, with paths under the item', () => {
    const batch = runBatch({ items }, { maxItems: 100, maxElements: 1000 });
    if (!batch.ok) throw new Error(batch.detail);
    const results = (JSON.parse(Buffer.from(batch.body).toString()) as { results: Array<Record<string, unknown>> })
      .results;
    const { answers, items: n, outcomes } = group(items.map((i) => JSON.stringify(i)));
    expect(n).toBe(items.length);
    const relative = results.map((r, i) => {
      const error = r.error as { errors: Array<{ path: string }> } | undefined;
      if (error === undefined) return r;
      const errors = error.errors.map((e) => ({ ...e, path: e.path.slice(`/items/${i}`.length) }));
      return { error: { ...error, errors } };
    });
    expect(answers).toEqual(relative);
    expect(outcomes).toEqual({ ok: 2, 400: 2, 404: 1 });
  });

  it('makes a malformed line, a line that is not an object, and one without a loss name error lines of their own', () => {
    const { answers, outcomes } = group([
      '{"loss": "mse"',
      '[]',
      '{"input": [1]}',
      '"x"',
      '{"loss":"mse","input":[3],"target":[1]}',
    ]);
    const codes = answers.map((a) => (a.error as { code?: string } | undefined)?.code ?? 'ok');
    expect(codes).toEqual([
      'LOSSD_MALFORMED_JSON',
      'LOSSD_INVALID_REQUEST',
      'LOSSD_INVALID_REQUEST',
      'LOSSD_INVALID_REQUEST',
      'ok',
    ]);
    expect(answers[2]).toMatchObject({ error: { errors: [{ path: '/loss' }] } });
    expect(answers[4]).toEqual({ loss: 4, grad: { input: [4] } });
    expect(outcomes).toEqual({ ok: 1, 400: 4 });
  });

  it('applies the element limit to each line, not to the group', () => {
    const line = JSON.stringify({ loss: 'mse', input: new Array(600).fill(1), target: 0 });
    const { outcomes } = group([line, line, line]);
    expect(outcomes).toEqual({ ok: 3 });
    const over = JSON.stringify({ loss: 'mse', input: new Array(1001).fill(1), target: 0 });
    expect(group([over, line]).outcomes).toEqual({ ok: 1, 413: 1 });
  });
});
