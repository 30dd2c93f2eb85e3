// Oracles for the Lovász losses that share nothing with src/losses/lovasz.ts: the Jaccard set
// loss itself, its Lovász extension by enumerating every permutation (the extension of a
// submodular set function is the largest of the permutation-generated sums), and by the
// threshold integral ∫ Δ({i : m_i > t}) dt, which needs no order at all.

/** Berman's Δ_J: the Jaccard loss of predicting the set `mistakes` wrong, |M| / |F ∪ M|. */
export function jaccardLoss(mistakes: ReadonlySet<number>, fg: readonly number[]): number {
  if (mistakes.size === 0) return 0;
  let union = mistakes.size;
  fg.forEach((g, i) => {
    if (g === 1 && !mistakes.has(i)) union++;
  });
  return mistakes.size / union;
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, k) => [...p.slice(0, k), n - 1, ...p.slice(k)]),
  );
}

/**
 * max over every order π of Σ_i m_π(i) (Δ(π_1..π_i) - Δ(π_1..π_(i-1))), with the vector of
 * increments of the best order (the gradient when the maximum is unique). Tiny inputs only.
 */
export function lovaszByEnumeration(m: readonly number[], fg: readonly number[]): { value: number; slope: number[] } {
  let best = Number.NEGATIVE_INFINITY;
  let slope: number[] = [];
  for (const order of permutations(m.length)) {
    const s = new Array<number>(m.length).fill(0);
    const taken = new Set<number>();
    let previous = 0;
    let value = 0;
    for (const i of order) {
      taken.add(i);
      const now = jaccardLoss(taken, fg);
      s[i] = now - previous;
      value += (m[i] as number) * (now - previous);
      previous = now;
    }
    if (value > best + 1e-12) {
      best = value;
      slope = s;
    }
  }
  return { value: m.length === 0 ? 0 : best, slope };
}

/** ∫_0^∞ Δ({i : m_i > t}) dt for m >= 0, a sum over the distinct levels of m. */
export function lovaszByThresholds(m: readonly number[], fg: readonly number[]): number {
  const levels = [...new Set(m)].filter((v) => v > 0).sort((a, b) => a - b);
  let total = 0;
  let below = 0;
  for (const level of levels) {
    const above = new Set<number>();
    m.forEach((v, i) => {
      if (v >= level) above.add(i);
    });
    total += (level - below) * jaccardLoss(above, fg);
    below = level;
  }
  return total;
}

/** No two values within `gap` of each other, none within `gap` of 0: no tie, no kink near. */
export function wellSeparated(m: readonly number[], gap: number): boolean {
  const sorted = [...m].sort((a, b) => a - b);
  return sorted.every((v, k) => Math.abs(v) > gap && (k === 0 || v - (sorted[k - 1] as number) > gap));
}
