// Kernels: forward + backward of every loss, float64 and float32, at 1e3, 1e5 and 1e6 elements
// (class losses at C = 10 and C = 1000), in ns per element of the first argument.
//
// Baseline: the memory floor, a loop that only reads the same inputs and writes the same
// gradient bytes (into buffers allocated once). cross_entropy is also set against an "exp only"
// floor (one Math.exp per element) and nll_loss against a fill(0) of its gradient.
//
// The kernel runs exactly as the pipeline runs it: check() once (the meta step), then
// compute() with the pipeline's allocator, and the pipeline's release of request buffers.

import type { FloatDType } from '../../src/codec/decode.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import { allocator, releaseBuffers } from '../../src/pipeline/run-loss.js';
import { findLoss } from '../../src/registry/index.js';
import type { Args, KernelResult } from '../../src/registry/types.js';
import type { Row, Target } from '../lib/report.js';
import { paired, type Timing } from '../lib/stats.js';
import { type KernelInput, LOSS_CASES } from './cases.js';

type NumArray = FloatArray | Int32Array;

export interface KernelOptions {
  readonly sizes: readonly number[];
  readonly dtypes: readonly FloatDType[];
  readonly classCounts: readonly number[];
  readonly timing: Timing;
  /** Only these losses (all when empty). */
  readonly only: readonly string[];
}

const ELEMENTWISE = new Set(['l1_loss', 'smooth_l1_loss', 'mse_loss', 'huber_loss', 'margin_ranking_loss', 'kl_div']);

/** Generated per case so that each floor has its own type feedback, as a kernel would. */
function memoryFloor(inputs: NumArray[], grads: FloatArray[]): () => unknown {
  const used = new Set<number>();
  const lines: string[] = [];
  grads.forEach((g, gi) => {
    const fuse = inputs
      .map((_, k) => k)
      .filter((k) => !used.has(k) && (inputs[k] as NumArray).length === g.length)
      .slice(0, 3);
    for (const k of fuse) used.add(k);
    const expr = fuse.length > 0 ? fuse.map((k) => `a${k}[i]`).join(' + ') : 's';
    lines.push(`for (let i = 0, m = g${gi}.length; i < m; i++) g${gi}[i] = ${expr};`);
  });
  inputs.forEach((_, k) => {
    if (!used.has(k)) lines.push(`for (let i = 0, m = a${k}.length; i < m; i++) s += a${k}[i];`);
  });
  const params = [...inputs.map((_, k) => `a${k}`), ...grads.map((_, k) => `g${k}`)];
  const f = new Function(...params, `let s = 0;\n${lines.join('\n')}\nreturn s;`) as (...a: NumArray[]) => number;
  const all = [...inputs, ...grads];
  return () => f(...all);
}

function expFloor(x: FloatArray, target: NumArray, g: FloatArray): () => unknown {
  const f = new Function(
    'x',
    't',
    'g',
    'let s = 0; for (let i = 0; i < t.length; i++) s += t[i]; for (let i = 0; i < x.length; i++) g[i] = Math.exp(x[i]); return s;',
  ) as (x: FloatArray, t: NumArray, g: FloatArray) => number;
  return () => f(x, target, g);
}

function fillFloor(g: FloatArray): () => unknown {
  return () => g.fill(0);
}

const sizeLabel = (n: number) => `1e${Math.round(Math.log10(n))}`;

function sameKind(a: FloatArray): FloatArray {
  return a instanceof Float32Array ? new Float32Array(a.length) : new Float64Array(a.length);
}

export function runKernels(opts: KernelOptions, log: (s: string) => void): Row[] {
  const rows: Row[] = [];
  for (const c of LOSS_CASES) {
    if (opts.only.length > 0 && !opts.only.includes(c.loss)) continue;
    const loss = findLoss(c.loss);
    if (loss === undefined) throw new Error(`no loss ${c.loss}`);
    for (const dtype of opts.dtypes) {
      for (const n of opts.sizes) {
        for (const C of c.classes ? opts.classCounts : [0]) {
          const input: KernelInput = c.make(n, C, dtype);
          const options = loss.options.parse(input.opts) as Record<string, unknown>;
          const checked = loss.check(input.args as Args, options);
          if (!checked.ok) throw new Error(`${c.loss} n=${n} C=${C}: ${JSON.stringify(checked.issues)}`);
          const wrt = loss.args.filter((a) => a.gradByDefault && input.args[a.name] !== undefined).map((a) => a.name);
          const grad = { wrt, g: 1, gamma: null };
          const alloc = allocator(dtype);
          const kernel = () => {
            const r: KernelResult = loss.compute(input.args as Args, options, checked.plan, grad, alloc);
            releaseBuffers();
            return r;
          };
          const probe = loss.compute(input.args as Args, options, checked.plan, grad, alloc);
          const grads = Object.values(probe.grads).map(sameKind);
          releaseBuffers();
          const inputs = Object.values(input.args).map((t) => t.data);
          const first = input.args[loss.args[0]?.name as string];
          const numel = first?.data.length ?? n;
          const label = `${c.loss} ${dtype === 'float64' ? 'f64' : 'f32'} n=${sizeLabel(n)}${C ? ` C=${C}` : ''}`;
          const atTarget = n === 1e6 && dtype === 'float64';
          const record = (baseline: string, base: () => unknown, target?: Target) => {
            const p = paired(kernel, base, opts.timing);
            const row: Row = {
              suite: 'kernels',
              case: label,
              value: (p.subject.median * 1e6) / numel,
              unit: 'ns/el',
              baseline,
              baselineValue: (p.baseline.median * 1e6) / numel,
              ratio: p.ratio.median,
              spread: p.ratio.spread,
              repeats: p.ratio.n,
              ...(target ? { target } : {}),
              note: `shape [${input.shape.join(', ')}]`,
            };
            rows.push(row);
            log(
              `  ${label.padEnd(48)} ${row.value.toFixed(2).padStart(8)} ns/el  ${row.ratio.toFixed(2)}× ${baseline}`,
            );
          };
          record(
            'memory floor',
            memoryFloor(inputs, grads),
            atTarget && ELEMENTWISE.has(c.loss) ? { on: 'ratio', op: '<=', limit: 1.5 } : undefined,
          );
          const g0 = grads[0];
          const x = first?.data as FloatArray;
          if (c.loss === 'cross_entropy' && g0) {
            const t = input.args.target?.data as NumArray;
            record('exp only', expFloor(x, t, g0), atTarget ? { on: 'ratio', op: '<=', limit: 1.3 } : undefined);
          }
          if (c.loss === 'nll_loss' && g0) {
            record('fill(0) grad', fillFloor(g0), atTarget ? { on: 'ratio', op: '<=', limit: 2 } : undefined);
          }
        }
      }
    }
  }
  return rows;
}
