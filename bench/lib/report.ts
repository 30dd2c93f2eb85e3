// One row per figure, one table for the whole run, and the same rows as JSON.

import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';

export interface Target {
  /** What the target applies to: the ratio against the baseline, or the absolute value. */
  readonly on: 'ratio' | 'value';
  readonly op: '<=' | '<' | '>=';
  readonly limit: number;
}

export interface Row {
  readonly suite: 'kernels' | 'codec' | 'http' | 'event-loop' | 'memory' | 'runtimes';
  /** What was measured, e.g. "mse_loss f64 n=1e6". */
  readonly case: string;
  /** The subject's median, in `unit`. */
  readonly value: number;
  readonly unit: string;
  /** What the ratio is taken against. */
  readonly baseline: string;
  /** The baseline's median, in `unit`. */
  readonly baselineValue: number;
  /** Median of the per-repeat ratios subject / baseline (for throughput: subject / baseline req/s). */
  readonly ratio: number;
  /** Half the interquartile range of the ratios, relative to their median. */
  readonly spread: number;
  readonly repeats: number;
  readonly target?: Target;
  /** Anything the reader needs to interpret the row. */
  readonly note?: string;
  /** The Node.js line it was measured on (bench/lib/runtimes.ts), when the run covers several. */
  readonly node?: string;
}

export function holds(row: Row): boolean | undefined {
  const t = row.target;
  if (t === undefined) return undefined;
  const x = t.on === 'ratio' ? row.ratio : row.value;
  if (!Number.isFinite(x)) return false;
  if (t.op === '<=') return x <= t.limit;
  if (t.op === '<') return x < t.limit;
  return x >= t.limit;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

function targetText(t: Target | undefined): string {
  if (t === undefined) return '';
  return `${t.on === 'ratio' ? 'ratio' : 'value'} ${t.op} ${t.limit}`;
}

/** The whole run as one plain-text table (also valid Markdown). */
export function table(rows: readonly Row[]): string {
  const lines = rows.some((r) => r.node !== undefined);
  const head = [...(lines ? ['node'] : []), 'suite', 'case', 'value', 'baseline', 'ratio', '±', 'target', 'ok'];
  const body = rows.map((r) => {
    const ok = holds(r);
    return [
      ...(lines ? [r.node ?? ''] : []),
      r.suite,
      r.case,
      `${fmt(r.value)} ${r.unit}`,
      `${r.baseline} ${fmt(r.baselineValue)}`,
      fmt(r.ratio),
      `${(r.spread * 100).toFixed(0)}%`,
      targetText(r.target),
      ok === undefined ? '' : ok ? 'yes' : 'NO',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export interface RunMeta {
  readonly quick: boolean;
  /** The Node.js lines measured, with their versions. */
  readonly runtimes?: readonly { label: string; version: string }[];
  readonly suites: readonly string[];
  readonly started: string;
  readonly seconds: number;
}

export function writeJson(path: string, meta: RunMeta, rows: readonly Row[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const doc = {
    ...meta,
    node: process.version,
    cpus: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    loadavg: loadavg(),
    rows: rows.map((r) => ({ ...r, holds: holds(r) })),
  };
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
}
