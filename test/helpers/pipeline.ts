// Runs golden cases straight through the request pipeline (no HTTP): fast feedback for
// kernels. The HTTP suite runs the same cases over a real socket.

import { PROBLEMS } from '../../src/errors.js';
import { runLoss } from '../../src/pipeline/run-loss.js';
import { findLoss } from '../../src/registry/index.js';
import { type GoldenCase, judge } from './golden.js';

export function runCase(fileLoss: string, c: GoldenCase): string[] {
  const loss = findLoss(c.loss ?? fileLoss);
  if (!loss) return c.expected.status === 404 ? [] : [`no loss named ${c.loss ?? fileLoss}`];
  const out = runLoss(loss, c.request, { maxElements: 1 << 26 });
  if (out.ok) return judge(c, 200, JSON.parse(out.json));
  const status = PROBLEMS[out.code].status;
  return judge(c, status, { status, detail: out.detail, errors: out.errors });
}
