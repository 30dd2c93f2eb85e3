// Statistics and timing shared by every benchmark. The machine is shared and noisy, so nothing
// here is an absolute verdict: a subject is always timed against a baseline in the same run,
// interleaved repeat by repeat (baseline, subject, subject, baseline, ...), and what is reported
// is the median of the per-repeat ratios with its spread.

export interface Summary {
  readonly median: number;
  /** Half the interquartile range, relative to the median (0.05 = ±5 %). */
  readonly spread: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const median = quantile(s, 0.5);
  const iqr = quantile(s, 0.75) - quantile(s, 0.25);
  return {
    median,
    spread: median === 0 ? 0 : iqr / 2 / Math.abs(median),
    min: s[0] ?? Number.NaN,
    max: s[s.length - 1] ?? Number.NaN,
    n: s.length,
  };
}

export function percentile(samples: readonly number[], p: number): number {
  return quantile(
    [...samples].sort((a, b) => a - b),
    p / 100,
  );
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Collects garbage when node runs with --expose-gc (bench/run.ts asks for it). */
export function collect(): void {
  gc?.();
}

/**
 * Milliseconds per call of `fn`: calls it until `minMs` have passed (at least once) and
 * divides. `fn` returns something so that its work cannot be optimized away.
 */
export function msPerCall(fn: () => unknown, minMs: number): number {
  let sink: unknown;
  let calls = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    sink = fn();
    calls++;
    elapsed = performance.now() - t0;
  } while (elapsed < minMs);
  keep(sink);
  return elapsed / calls;
}

let kept: unknown;
function keep(v: unknown): void {
  kept = v;
}
export function lastKept(): unknown {
  return kept;
}

export interface Timing {
  readonly repeats: number;
  /** Each sample runs the function for at least this long. */
  readonly minMs: number;
  /** Untimed calls of each function before the first sample (JIT warm-up). */
  readonly warmup: number;
}

export interface Paired {
  /** Milliseconds per call of the subject. */
  readonly subject: Summary;
  /** Milliseconds per call of the baseline. */
  readonly baseline: Summary;
  /** subject / baseline, per repeat. */
  readonly ratio: Summary;
}

/** Times `subject` against `baseline`, interleaved, and returns both and their ratio. */
export function paired(subject: () => unknown, baseline: () => unknown, timing: Timing): Paired {
  for (let i = 0; i < timing.warmup; i++) {
    keep(baseline());
    keep(subject());
  }
  const s: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  for (let k = 0; k < timing.repeats; k++) {
    collect();
    let ts: number;
    let tb: number;
    if (k % 2 === 0) {
      tb = msPerCall(baseline, timing.minMs);
      ts = msPerCall(subject, timing.minMs);
    } else {
      ts = msPerCall(subject, timing.minMs);
      tb = msPerCall(baseline, timing.minMs);
    }
    s.push(ts);
    b.push(tb);
    r.push(ts / tb);
  }
  return { subject: summarize(s), baseline: summarize(b), ratio: summarize(r) };
}
