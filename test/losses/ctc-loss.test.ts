import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ctcLoss } from '../../src/losses/ctc-loss.js';
import type { FloatArray } from '../../src/numeric/tensor.js';
import { evaluate, f64, i32, refusal, type TestArgs } from '../helpers/kernel.js';

// ---------------------------------------------------------------------------------------------
// An independent oracle: enumerate every alignment π ∈ [0, C)^T_b, collapse it (merge repeats,
// then drop blanks) and add up exp(Σ_t lp[t, π_t]) over the alignments that give the target.

function collapse(path: readonly number[], blank: number): number[] {
  const out: number[] = [];
  let prev = -1;
  for (const c of path) {
    if (c !== prev && c !== blank) out.push(c);
    prev = c;
  }
  return out;
}

/** -log Σ_{π: collapse(π) = target} Π_t exp(lp[t][π_t]), by brute force over C^Tb paths. */
function bruteForceNll(lp: (t: number, c: number) => number, Tb: number, C: number, target: number[], blank: number) {
  let total = 0;
  const path = new Array<number>(Tb).fill(0);
  const count = C ** Tb;
  for (let k = 0; k < count; k++) {
    let rest = k;
    for (let t = 0; t < Tb; t++) {
      path[t] = rest % C;
      rest = Math.floor(rest / C);
    }
    const collapsed = collapse(path, blank);
    if (collapsed.length !== target.length || collapsed.some((c, i) => c !== target[i])) continue;
    let logp = 0;
    for (let t = 0; t < Tb; t++) logp += lp(t, path[t] as number);
    total += Math.exp(logp);
  }
  return -Math.log(total);
}

function close(actual: number, expected: number, rtol = 1e-10): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= rtol * Math.max(1, Math.abs(expected));
}

/** A random CTC problem: (T, N, C) log_probs, padded targets without the blank, lengths. */
interface Problem {
  T: number;
  N: number;
  C: number;
  blank: number;
  lp: number[];
  inputLengths: number[];
  targets: number[][];
}

const problem = (maxT: number, maxC: number, maxN: number) =>
  fc
    .record({
      T: fc.integer({ min: 1, max: maxT }),
      N: fc.integer({ min: 1, max: maxN }),
      C: fc.integer({ min: 2, max: maxC }),
    })
    .chain(({ T, N, C }) =>
      fc.record({
        T: fc.constant(T),
        N: fc.constant(N),
        C: fc.constant(C),
        blank: fc.integer({ min: 0, max: C - 1 }),
        lp: fc.array(fc.double({ min: -4, max: 1, noNaN: true }), { minLength: T * N * C, maxLength: T * N * C }),
        inputLengths: fc.array(fc.integer({ min: 0, max: T }), { minLength: N, maxLength: N }),
        // labels drawn from [0, C - 1) and shifted past the blank below
        targets: fc.array(fc.array(fc.integer({ min: 0, max: C - 2 }), { maxLength: 3 }), {
          minLength: N,
          maxLength: N,
        }),
      }),
    )
    .map((p): Problem => ({ ...p, targets: p.targets.map((tg) => tg.map((l) => (l >= p.blank ? l + 1 : l))) }));

/** The problem as padded request arguments (padding -1, never read). */
function padded(p: Problem): TestArgs {
  const S = Math.max(0, ...p.targets.map((t) => t.length));
  const flat: number[] = [];
  for (const t of p.targets) for (let j = 0; j < S; j++) flat.push(j < t.length ? (t[j] as number) : -1);
  return {
    log_probs: f64([p.T, p.N, p.C], p.lp),
    targets: i32([p.N, S], flat),
    input_lengths: i32([p.N], p.inputLengths),
    target_lengths: i32(
      [p.N],
      p.targets.map((t) => t.length),
    ),
  };
}

/** The same problem with concatenated targets. */
function concatenated(p: Problem): TestArgs {
  const flat = p.targets.flat();
  return { ...padded(p), targets: i32([flat.length], flat) };
}

const lpAt = (p: Problem, b: number) => (t: number, c: number) => p.lp[(t * p.N + b) * p.C + c] as number;

function oracleNll(p: Problem): number[] {
  return p.targets.map((tg, b) => bruteForceNll(lpAt(p, b), p.inputLengths[b] as number, p.C, tg, p.blank));
}

/** Seeded uniform numbers in [lo, hi) (mulberry32), for fixed larger inputs. */
function uniform(seed: number, n: number, lo: number, hi: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo));
  }
  return out;
}

/** Rows of log_softmax over the last axis of a flat (rows, C) array. */
function logSoftmaxRows(z: number[], C: number): number[] {
  const out = new Array<number>(z.length);
  for (let r = 0; r < z.length / C; r++) {
    let m = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < C; c++) m = Math.max(m, z[r * C + c] as number);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp((z[r * C + c] as number) - m);
    for (let c = 0; c < C; c++) out[r * C + c] = (z[r * C + c] as number) - m - Math.log(s);
  }
  return out;
}

function lossOf(args: TestArgs, opts: Record<string, unknown>, gamma: FloatArray | null = null): number {
  const r = evaluate(ctcLoss, args, opts).loss;
  if (typeof r === 'number') return r;
  let s = 0;
  for (let i = 0; i < r.length; i++) s += (gamma ? (gamma[i] as number) : 1) * (r[i] as number);
  return s;
}

const base = (): TestArgs => ({
  log_probs: f64([4, 2, 3], logSoftmaxRows(uniform(1, 24, -2, 2), 3)),
  targets: i32([2, 2], [1, 2, 2, -1]),
  input_lengths: i32([2], [4, 3]),
  target_lengths: i32([2], [2, 1]),
});

// ---------------------------------------------------------------------------------------------

describe('ctc_loss', () => {
  describe('the loss', () => {
    it('equals -log of the summed probability of every alignment that collapses to the target (brute force, T ≤ 5, C ≤ 3)', () => {
      fc.assert(
        fc.property(problem(5, 3, 3), (p) => {
          const expected = oracleNll(p);
          const r = evaluate(ctcLoss, padded(p), { blank: p.blank, reduction: 'none' });
          const got = r.loss as Float64Array;
          expected.forEach((e, b) => {
            if (!close(got[b] as number, e)) throw new Error(`sample ${b}: kernel ${got[b]}, brute force ${e}`);
          });
        }),
        { numRuns: 300 },
      );
    });

    it('reads concatenated targets exactly like padded ones', () => {
      fc.assert(
        fc.property(problem(5, 3, 3), (p) => {
          const a = evaluate(ctcLoss, padded(p), { blank: p.blank, reduction: 'none' }, ['log_probs']);
          const b = evaluate(ctcLoss, concatenated(p), { blank: p.blank, reduction: 'none' }, ['log_probs']);
          expect([...(a.loss as Float64Array)]).toEqual([...(b.loss as Float64Array)]);
          expect([...(a.grads.log_probs as Float64Array)]).toEqual([...(b.grads.log_probs as Float64Array)]);
        }),
        { numRuns: 100 },
      );
    });

    it('sums the samples for "sum" and averages nll_b / max(L_b, 1) over the batch for "mean"', () => {
      fc.assert(
        fc.property(problem(5, 3, 3), (p) => {
          const nll = oracleNll(p);
          const sum = evaluate(ctcLoss, padded(p), { blank: p.blank, reduction: 'sum' }).loss as number;
          const mean = evaluate(ctcLoss, padded(p), { blank: p.blank }).loss as number;
          const expectedSum = nll.reduce((s, v) => s + v, 0);
          const expectedMean = nll.reduce((s, v, b) => s + v / Math.max((p.targets[b] as number[]).length, 1), 0) / p.N;
          expect(close(sum, expectedSum, 1e-9)).toBe(true);
          expect(close(mean, expectedMean, 1e-9)).toBe(true);
        }),
        { numRuns: 100 },
      );
    });

    it('needs a blank between repeated labels: [1, 1, 1] takes 5 steps and is +inf with 4', () => {
      const lp = logSoftmaxRows(uniform(7, 5 * 3, -1, 1), 3);
      const args = (Tb: number): TestArgs => ({
        log_probs: f64([5, 1, 3], lp),
        targets: i32([1, 3], [1, 1, 1]),
        input_lengths: i32([1], [Tb]),
        target_lengths: i32([1], [3]),
      });
      const only = [1, 0, 1, 0, 1].reduce((s, c, t) => s + (lp[t * 3 + c] as number), 0);
      expect(close(evaluate(ctcLoss, args(5), { reduction: 'sum' }).loss as number, -only, 1e-12)).toBe(true);
      expect(evaluate(ctcLoss, args(4), { reduction: 'sum' }).loss).toBe(Number.POSITIVE_INFINITY);
    });

    it('gives an empty target the single all-blank path, divided by 1 under "mean"', () => {
      const lp = logSoftmaxRows(uniform(3, 4 * 3, -1, 1), 3);
      const args: TestArgs = {
        log_probs: f64([4, 3], lp),
        targets: i32([0], []),
        input_lengths: i32([], [3]),
        target_lengths: i32([], [0]),
      };
      const blanks = -((lp[0] as number) + (lp[3] as number) + (lp[6] as number));
      expect(evaluate(ctcLoss, args).loss).toBe(blanks);
    });

    it('returns a 0-d loss for unbatched (T, C) log_probs with reduction "none"', () => {
      const r = evaluate(
        ctcLoss,
        {
          log_probs: f64([3, 3], logSoftmaxRows(uniform(4, 9, -1, 1), 3)),
          targets: i32([1], [2]),
          input_lengths: i32([], [3]),
          target_lengths: i32([1], [1]),
        },
        { reduction: 'none' },
        ['log_probs'],
      );
      expect(r.lossShape).toEqual([]);
      expect((r.loss as Float64Array).length).toBe(1);
    });

    it('defines input_length = 0 as loss 0 for an empty target and +inf otherwise, with a zero gradient', () => {
      const r = evaluate(
        ctcLoss,
        {
          log_probs: f64([2, 2, 3], uniform(5, 12, -2, 0)),
          targets: i32([2, 1], [1, 2]),
          input_lengths: i32([2], [0, 0]),
          target_lengths: i32([2], [0, 1]),
        },
        { reduction: 'none' },
        ['log_probs'],
      );
      expect([...(r.loss as Float64Array)]).toEqual([0, Number.POSITIVE_INFINITY]);
      expect([...(r.grads.log_probs as Float64Array)].every((v) => v === 0)).toBe(true);
    });

    it('replaces infinite losses by 0 with zero_infinity, and leaves feasible samples alone', () => {
      const args: TestArgs = {
        log_probs: f64([3, 2, 3], logSoftmaxRows(uniform(6, 18, -1, 1), 3)),
        targets: i32([2, 2], [1, 1, 2, 1]),
        input_lengths: i32([2], [2, 3]), // [1, 1] needs 3 steps
        target_lengths: i32([2], [2, 2]),
      };
      const off = evaluate(ctcLoss, args, { reduction: 'none' }).loss as Float64Array;
      const on = evaluate(ctcLoss, args, { reduction: 'none', zero_infinity: true }).loss as Float64Array;
      expect(off[0]).toBe(Number.POSITIVE_INFINITY);
      expect(on[0]).toBe(0);
      expect(on[1]).toBe(off[1]);
      expect(Number.isFinite(on[1])).toBe(true);
    });

    it('returns NaN for "mean" and 0 for "sum" over an empty batch', () => {
      const args: TestArgs = {
        log_probs: f64([3, 0, 4], []),
        targets: i32([0, 2], []),
        input_lengths: i32([0], []),
        target_lengths: i32([0], []),
      };
      expect(evaluate(ctcLoss, args).loss).toBeNaN();
      expect(evaluate(ctcLoss, args, { reduction: 'sum' }).loss).toBe(0);
    });
  });

  describe('the log_probs gradient', () => {
    it('is the finite-difference derivative plus G_b · exp(log_probs) for t < T_b, and 0 for t >= T_b', () => {
      const feasible = problem(5, 3, 3).filter((p) =>
        p.targets.every((tg, b) => {
          let need = tg.length;
          for (let j = 1; j < tg.length; j++) if (tg[j] === tg[j - 1]) need++;
          return (p.inputLengths[b] as number) >= Math.max(need, 1);
        }),
      );
      const reductions = fc.constantFrom('none', 'sum', 'mean');
      fc.assert(
        fc.property(feasible, reductions, fc.double({ min: -2, max: 2, noNaN: true }), (p, reduction, g) => {
          const args = padded(p);
          const opts = { blank: p.blank, reduction };
          const gamma = reduction === 'none' ? Float64Array.from(p.targets, (_, b) => g + b) : null;
          const r = evaluate(ctcLoss, args, opts, ['log_probs'], reduction === 'none' ? { gamma } : { g });
          const grad = r.grads.log_probs as Float64Array;
          const h = 1e-6;
          for (let i = 0; i < p.lp.length; i++) {
            const at = (delta: number) => {
              const lp = [...p.lp];
              lp[i] = (lp[i] as number) + delta;
              const l = lossOf({ ...args, log_probs: f64([p.T, p.N, p.C], lp) }, opts, gamma);
              return reduction === 'none' ? l : g * l;
            };
            const derivative = (at(h) - at(-h)) / (2 * h);
            const t = Math.floor(i / (p.N * p.C));
            const b = Math.floor(i / p.C) % p.N;
            const Lb = (p.targets[b] as number[]).length;
            const Gb =
              reduction === 'none' ? (gamma?.[b] as number) : reduction === 'sum' ? g : g / p.N / Math.max(Lb, 1);
            const expected = t < (p.inputLengths[b] as number) ? derivative + Gb * Math.exp(p.lp[i] as number) : 0;
            if (!(Math.abs((grad[i] as number) - expected) <= 1e-5 * Math.max(1, Math.abs(expected)))) {
              throw new Error(`grad[${i}] (t=${t}, b=${b}): kernel ${grad[i]}, expected ${expected}`);
            }
            if (t >= (p.inputLengths[b] as number)) expect(Math.abs(derivative)).toBeLessThan(1e-9);
          }
        }),
        { numRuns: 60 },
      );
    });

    it('is the gradient with respect to the logits z when log_probs = log_softmax(z)', () => {
      const T = 5;
      const N = 2;
      const C = 3;
      const z = uniform(11, T * N * C, -2, 2);
      const targets = i32([2, 2], [1, 2, 2, 2]);
      const lengths = { input_lengths: i32([2], [5, 5]), target_lengths: i32([2], [2, 2]) };
      const r = evaluate(ctcLoss, { log_probs: f64([T, N, C], logSoftmaxRows(z, C)), targets, ...lengths }, {}, [
        'log_probs',
      ]);
      const grad = r.grads.log_probs as Float64Array;
      const h = 1e-6;
      for (let i = 0; i < z.length; i++) {
        const at = (delta: number) => {
          const zz = [...z];
          zz[i] = (zz[i] as number) + delta;
          return lossOf({ log_probs: f64([T, N, C], logSoftmaxRows(zz, C)), targets, ...lengths }, {});
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        expect(Math.abs((grad[i] as number) - numeric)).toBeLessThan(1e-7);
      }
    });

    it('is NaN on the rows t < T_b of a sample with infinite loss (without zero_infinity), 0 after them and 0 with it', () => {
      const args: TestArgs = {
        log_probs: f64([4, 2, 3], logSoftmaxRows(uniform(8, 24, -1, 1), 3)),
        targets: i32([2, 2], [1, 1, 2, 1]),
        input_lengths: i32([2], [2, 4]),
        target_lengths: i32([2], [2, 2]),
      };
      const off = evaluate(ctcLoss, args, { reduction: 'sum' }, ['log_probs']).grads.log_probs as Float64Array;
      const on = evaluate(ctcLoss, args, { reduction: 'sum', zero_infinity: true }, ['log_probs']).grads
        .log_probs as Float64Array;
      for (let t = 0; t < 4; t++) {
        for (let c = 0; c < 3; c++) {
          const i0 = (t * 2 + 0) * 3 + c;
          const i1 = (t * 2 + 1) * 3 + c;
          if (t < 2) expect(off[i0]).toBeNaN();
          else expect(off[i0]).toBe(0);
          expect(on[i0]).toBe(0);
          expect(Number.isFinite(off[i1])).toBe(true);
          expect(on[i1]).toBe(off[i1]);
        }
      }
    });

    it('is NaN at a -inf log-probability inside the input length', () => {
      const lp = logSoftmaxRows(uniform(9, 9, -1, 1), 3);
      lp[4] = Number.NEGATIVE_INFINITY; // t = 1, c = 1
      const r = evaluate(
        ctcLoss,
        {
          log_probs: f64([3, 1, 3], lp),
          targets: i32([1, 1], [2]),
          input_lengths: i32([1], [3]),
          target_lengths: i32([1], [1]),
        },
        {},
        ['log_probs'],
      );
      const grad = r.grads.log_probs as Float64Array;
      expect(grad[4]).toBeNaN();
      expect(Number.isFinite(r.loss as number)).toBe(true);
      expect([...grad].filter((v) => Number.isNaN(v)).length).toBe(1);
    });

    it('overwrites the blank occupancy at the last step when the last label equals the blank (PyTorch 1.13)', () => {
      // blank = 0 and target [0]: at t = T_b - 1, γ(blank) is first α+β of the final blank state,
      // then replaced by α+β of the final label state (also class 0), not summed with it.
      const lp = logSoftmaxRows(uniform(12, 6, -1, 1), 3);
      const r = evaluate(
        ctcLoss,
        {
          log_probs: f64([2, 1, 3], lp),
          targets: i32([1, 1], [0]),
          input_lengths: i32([1], [2]),
          target_lengths: i32([1], [1]),
        },
        { reduction: 'sum' },
        ['log_probs'],
      );
      const nll = r.loss as number;
      // Paths of length 2 through the states (b, 0, b): (b,0) (0,b) (0,0) — all class 0 here.
      expect(close(nll, -Math.log(3 * Math.exp((lp[0] as number) + (lp[3] as number))), 1e-12)).toBe(true);
      // Final step: α_1(label) + β_1(label) = log of the paths ending in the label state: (b,0) and (0,0).
      const occupancy = Math.exp(Math.log(2 * Math.exp((lp[0] as number) + (lp[3] as number))) + nll);
      const grad = r.grads.log_probs as Float64Array;
      expect(close(grad[3] as number, Math.exp(lp[3] as number) - occupancy, 1e-12)).toBe(true);
    });
  });

  describe('long and larger inputs', () => {
    it('keeps the loss and the gradient finite over 1000 time steps', () => {
      const T = 1000;
      const N = 2;
      const C = 5;
      const lp = logSoftmaxRows(uniform(13, T * N * C, -3, 3), C);
      const labels = uniform(14, 2 * 100, 1, C).map(Math.floor);
      const r = evaluate(
        ctcLoss,
        {
          log_probs: f64([T, N, C], lp),
          targets: i32([2, 100], labels),
          input_lengths: i32([2], [1000, 700]),
          target_lengths: i32([2], [100, 60]),
        },
        { reduction: 'none' },
        ['log_probs'],
      );
      const loss = r.loss as Float64Array;
      expect(Number.isFinite(loss[0])).toBe(true);
      expect(Number.isFinite(loss[1])).toBe(true);
      expect(loss[0]).toBeGreaterThan(700); // far below the float64 underflow of a linear-space product
      expect([...(r.grads.log_probs as Float64Array)].every(Number.isFinite)).toBe(true);
    });

    it('computes 50 time steps × batch 16 × 20 classes with targets of length 10', () => {
      const T = 50;
      const N = 16;
      const C = 20;
      const r = evaluate(
        ctcLoss,
        {
          log_probs: f64([T, N, C], logSoftmaxRows(uniform(15, T * N * C, -3, 3), C)),
          targets: i32([N, 10], uniform(16, N * 10, 1, C).map(Math.floor)),
          input_lengths: i32([N], new Array<number>(N).fill(T)),
          target_lengths: i32([N], new Array<number>(N).fill(10)),
        },
        {},
        ['log_probs'],
      );
      expect(Number.isFinite(r.loss as number)).toBe(true);
      expect([...(r.grads.log_probs as Float64Array)].every(Number.isFinite)).toBe(true);
    });
  });

  describe('refusals', () => {
    it('refuses log_probs that are not (T, N, C) or (T, C), and T = 0', () => {
      expect(refusal(ctcLoss, { ...base(), log_probs: f64([24], uniform(1, 24, -1, 0)) })).toMatchObject({
        code: 'LOSSD_SHAPE_MISMATCH',
        paths: ['/log_probs'],
      });
      expect(
        refusal(ctcLoss, { ...base(), log_probs: f64([0, 2, 3], []), input_lengths: i32([2], [0, 0]) }),
      ).toMatchObject({
        code: 'LOSSD_SHAPE_MISMATCH',
        paths: ['/log_probs'],
      });
    });

    it('refuses a blank outside [0, C) as an invalid option', () => {
      expect(refusal(ctcLoss, base(), { blank: 3 })).toMatchObject({ code: 'LOSSD_INVALID_OPTION', paths: ['/blank'] });
      expect(refusal(ctcLoss, base(), { blank: -1 })).toMatchObject({
        code: 'LOSSD_INVALID_OPTION',
        paths: ['/blank'],
      });
    });

    it('refuses lengths that do not hold exactly N values, but accepts any shape that does', () => {
      expect(refusal(ctcLoss, { ...base(), target_lengths: i32([3], [2, 1, 1]) })).toMatchObject({
        code: 'LOSSD_SHAPE_MISMATCH',
        paths: ['/target_lengths'],
      });
      expect(refusal(ctcLoss, { ...base(), input_lengths: i32([1, 2], [4, 3]) })).toBeNull();
      // unbatched log_probs with a batch of lengths
      const unbatched = { ...base(), log_probs: f64([4, 3], uniform(2, 12, -1, 0)) };
      expect(refusal(ctcLoss, unbatched)).toMatchObject({ code: 'LOSSD_SHAPE_MISMATCH', paths: ['/input_lengths'] });
    });

    it('refuses negative lengths at their element', () => {
      expect(refusal(ctcLoss, { ...base(), input_lengths: i32([2], [4, -1]) })).toMatchObject({
        code: 'LOSSD_INVALID_VALUE',
        paths: ['/input_lengths/1'],
      });
      expect(refusal(ctcLoss, { ...base(), target_lengths: i32([2], [-2, 1]) })).toMatchObject({
        code: 'LOSSD_INVALID_VALUE',
        paths: ['/target_lengths/0'],
      });
    });

    it('refuses an input length above T', () => {
      expect(refusal(ctcLoss, { ...base(), input_lengths: i32([2], [4, 5]) })).toMatchObject({
        code: 'LOSSD_INVALID_VALUE',
        paths: ['/input_lengths/1'],
      });
    });

    it('refuses padded targets narrower than the longest target, concatenated targets of the wrong length, and other ranks', () => {
      expect(refusal(ctcLoss, { ...base(), target_lengths: i32([2], [3, 1]) })).toMatchObject({
        code: 'LOSSD_SHAPE_MISMATCH',
        paths: ['/targets'],
      });
      expect(refusal(ctcLoss, { ...base(), targets: i32([3, 2], [1, 2, 2, 1, 1, 1]) })).toMatchObject({
        code: 'LOSSD_SHAPE_MISMATCH',
        paths: ['/targets'],
      });
      expect(refusal(ctcLoss, { ...base(), targets: i32([4], [1, 2, 2, 1]) })).toMatchObject({
        code: 'LOSSD_SHAPE_MISMATCH',
        paths: ['/targets'],
      });
      expect(refusal(ctcLoss, { ...base(), targets: i32([3], [1, 2, 2]) })).toBeNull();
      expect(refusal(ctcLoss, { ...base(), targets: i32([2, 2, 1], [1, 2, 2, 1]) })).toMatchObject({
        code: 'LOSSD_SHAPE_MISMATCH',
        paths: ['/targets'],
      });
    });

    it('refuses labels outside [0, C) within the target length, and never reads the padding', () => {
      expect(refusal(ctcLoss, { ...base(), targets: i32([2, 2], [1, 3, 2, -1]) })).toMatchObject({
        code: 'LOSSD_INVALID_VALUE',
        paths: ['/targets/0/1'],
      });
      expect(refusal(ctcLoss, { ...base(), targets: i32([2, 2], [1, 2, -1, 99]) })).toMatchObject({
        code: 'LOSSD_INVALID_VALUE',
        paths: ['/targets/1/0'],
      });
      expect(refusal(ctcLoss, { ...base(), targets: i32([2, 2], [1, 2, 2, 99]) })).toBeNull();
    });

    it('accepts a label equal to blank, as PyTorch does', () => {
      expect(refusal(ctcLoss, { ...base(), targets: i32([2, 2], [0, 2, 0, -1]) })).toBeNull();
    });
  });
});
