// The work budget: a loss whose cost grows faster than its input (LossDescriptor.work) may ask
// for at most WORK_PER_ELEMENT × maxElements steps per request, and a batch's items share one
// budget. Past it the request is refused with 413 before anything is computed.

import { describe, expect, it } from 'vitest';
import { PROBLEMS } from '../../src/errors.js';
import { runBatch } from '../../src/pipeline/run-batch.js';
import { runLoss, WORK_PER_ELEMENT } from '../../src/pipeline/run-loss.js';
import { findLoss } from '../../src/registry/index.js';

const maxElements = 1000;
const budget = WORK_PER_ELEMENT * maxElements;

function run(name: string, body: Record<string, unknown>) {
  const loss = findLoss(name);
  if (!loss) throw new Error(name);
  return runLoss(loss, body, { maxElements });
}

const M = (n: number, m: number) => ({ shape: [n, m], data: new Array(n * m).fill(0.5) });

describe('the work budget', () => {
  it('refuses a small cost matrix asking for many iterations with 413 at /numItermax', () => {
    // 100 elements, 100 · (6 · 100 + 16 · 20) = 92,000 steps > 16,000
    const out = run('sinkhorn_loss', { M: M(10, 10), numItermax: 100 });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.code).toBe('LOSSD_TOO_MUCH_WORK');
    expect(PROBLEMS[out.code].status).toBe(413);
    expect(out.errors[0]?.path).toBe('/numItermax');
    expect(out.detail).toContain(String(budget));
  });

  it('answers the same matrix with fewer iterations', () => {
    expect(run('sinkhorn_loss', { M: M(10, 10), numItermax: 10 }).ok).toBe(true);
  });

  it('counts soft_dtw’s n × m table and supcon_loss’s anchor pairs, at the longer input', () => {
    const long = run('soft_dtw', { x: new Array(400).fill(0), y: new Array(100).fill(1) });
    expect(long.ok ? null : [long.code, long.errors[0]?.path]).toEqual(['LOSSD_TOO_MUCH_WORK', '/x']);
    const wide = run('soft_dtw', { x: new Array(10).fill(0), y: new Array(400).fill(1) });
    expect(wide.ok ? null : [wide.code, wide.errors[0]?.path]).toEqual(['LOSSD_TOO_MUCH_WORK', '/y']);
    expect(run('soft_dtw', { x: new Array(20).fill(0), y: new Array(20).fill(1) }).ok).toBe(true);
    const sup = run('supcon_loss', { features: { shape: [200, 2, 1], data: new Array(400).fill(1) } });
    expect(sup.ok ? null : [sup.code, sup.errors[0]?.path]).toEqual(['LOSSD_TOO_MUCH_WORK', '/features']);
  });

  it('leaves the losses without a work() to the element limit alone', () => {
    const n = maxElements / 2;
    expect(run('mse_loss', { input: new Array(n).fill(1), target: new Array(n).fill(0) }).ok).toBe(true);
  });

  it('is shared by the items of a batch: the one that overdraws it fails alone', () => {
    // 9,200 steps each: the first fits, the second would bring the total to 18,400
    const item = { loss: 'sinkhorn_loss', M: M(10, 10), numItermax: 10 };
    const out = runBatch(
      { items: [item, item, { loss: 'mse_loss', input: [1], target: [0] }] },
      {
        maxItems: 10,
        maxElements,
      },
    );
    if (!out.ok) throw new Error(out.detail);
    const results = JSON.parse(Buffer.from(out.body).toString('utf8')).results as Array<Record<string, unknown>>;
    expect(results[0]).toHaveProperty('loss');
    expect(results[1]).toMatchObject({
      error: { status: 413, code: 'LOSSD_TOO_MUCH_WORK', errors: [{ path: '/items/1/numItermax' }] },
    });
    expect(results[2]).toHaveProperty('loss');
  });
});
