// Central finite differences over HTTP (optax check_grads, tinygrad helper_test_op): the
// gradient a loss answers is compared with (f(x + h) - f(x - h)) / 2h for every element of
// every argument asked for, where f is the sum of the loss's values (the gradient of that sum
// is what the default grad_output of ones asks for). All the perturbed requests of one check go
// in one /v1/batch.

import { readTensor } from './golden.js';
import { postJson } from './server.js';

/** The nested arrays of a request's tensor, with element `k` (row-major) moved by `delta`. */
function nudged(tensor: unknown, k: number, delta: number): unknown {
  let i = 0;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    return i++ === k ? (v as number) + delta : v;
  };
  return walk(tensor);
}

/** log_softmax over the last dimension of nested arrays. */
function logSoftmaxRows(v: unknown): unknown {
  const rows = v as unknown[];
  if (Array.isArray(rows[0])) return rows.map(logSoftmaxRows);
  const x = rows as number[];
  const m = Math.max(...x);
  const lse = m + Math.log(x.reduce((s, xi) => s + Math.exp(xi - m), 0));
  return x.map((xi) => xi - lse);
}

const sum = (loss: unknown): number => readTensor(loss, 'loss').data.reduce((a, b) => a + b, 0);

export interface GradMismatch {
  readonly arg: string;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
}

/**
 * Differences between the gradients in `grads` and central differences of the loss, for the
 * arguments in `wrt` (nested arrays in `body`). Steps are relative (h = step·max(1, |x|)); an
 * element passes when |analytic - numeric| <= atol + rtol·|numeric|. An argument listed in
 * `behindLogSoftmax` is differentiated as PyTorch's ctc_loss does (LOSSES.md, ctc_loss): with
 * respect to the logits behind a log_softmax over its last dimension, so each perturbed
 * tensor is normalized again (the example's rows must already be normalized).
 */
export async function gradMismatches(
  base: string,
  loss: string,
  body: Record<string, unknown>,
  grads: Record<string, unknown>,
  wrt: readonly string[],
  { step = 1e-6, rtol = 1e-5, atol = 1e-7, behindLogSoftmax = [] as readonly string[] } = {},
): Promise<GradMismatch[]> {
  const probes: Array<{ arg: string; index: number; h: number }> = [];
  const items: Array<Record<string, unknown>> = [];
  for (const arg of wrt) {
    const values = readTensor(body[arg], arg).data;
    values.forEach((x, index) => {
      const h = step * Math.max(1, Math.abs(x));
      probes.push({ arg, index, h });
      for (const d of [h, -h]) {
        const moved = nudged(body[arg], index, d);
        items.push({
          ...body,
          loss,
          grad_wrt: [],
          [arg]: behindLogSoftmax.includes(arg) ? logSoftmaxRows(moved) : moved,
        });
      }
    });
  }
  const answer = await postJson(base, '/v1/batch', { items });
  if (answer.status !== 200) throw new Error(`batch of perturbed requests: status ${answer.status}`);
  const results = (answer.body as { results: Array<{ loss?: unknown; error?: { detail: string } }> }).results;
  const out: GradMismatch[] = [];
  probes.forEach(({ arg, index, h }, p) => {
    const plus = results[2 * p];
    const minus = results[2 * p + 1];
    if (plus?.error || minus?.error)
      throw new Error(`${arg}[${index}] ± ${h}: ${(plus?.error ?? minus?.error)?.detail}`);
    const numeric = (sum(plus?.loss) - sum(minus?.loss)) / (2 * h);
    const analytic = readTensor(grads[arg], `grad.${arg}`).data[index] as number;
    if (!(Math.abs(analytic - numeric) <= atol + rtol * Math.abs(numeric))) out.push({ arg, index, analytic, numeric });
  });
  return out;
}
