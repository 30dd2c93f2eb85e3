// The bound on a body's parsed size: read from the bytes only when the quick bound is over the
// budget, never below the quick bound's promise for valid JSON, and larger for bodies that
// parse into many small objects than for the same bytes of numbers.

import { describe, expect, it } from 'vitest';
import { HEAP_BUDGET, parseCostBound } from '../../src/pipeline/heap-budget.js';

const enc = (text: string) => new TextEncoder().encode(text);
const shapes: Record<string, string> = {
  numbers: `[${'1.5,'.repeat(10_000)}1]`,
  rows: `[${'[1,2,3,4],'.repeat(10_000)}[]]`,
  emptyObjects: `[${'{},'.repeat(10_000)}{}]`,
  emptyArrays: `[${'[],'.repeat(10_000)}[]]`,
  keys: `{${Array.from({ length: 10_000 }, (_, i) => `"${i}":0`).join(',')}}`,
  nested: `${'{"a":['.repeat(1000)}${']}'.repeat(1000)}`,
  text: JSON.stringify({ note: 'é'.repeat(10_000) }),
};

describe('parseCostBound', () => {
  it('gives the quick bound, without reading the bytes, when that is within the budget', () => {
    for (const text of Object.values(shapes)) {
      const bytes = enc(text);
      expect(parseCostBound(bytes, Number.POSITIVE_INFINITY)).toBe(50 * bytes.length);
    }
  });

  it('reads the bytes past the budget, and never exceeds the quick bound for valid JSON', () => {
    for (const [name, text] of Object.entries(shapes)) {
      JSON.parse(text);
      const bytes = enc(text);
      const read = parseCostBound(bytes, 0);
      expect(read, name).toBeGreaterThan(2 * bytes.length);
      expect(read, name).toBeLessThanOrEqual(parseCostBound(bytes, Number.POSITIVE_INFINITY));
    }
  });

  it('bounds many small objects above the same bytes of numbers', () => {
    const perByte = (text: string) => parseCostBound(enc(text), 0) / enc(text).length;
    expect(perByte(shapes.emptyObjects as string)).toBeGreaterThan(3 * perByte(shapes.numbers as string));
    expect(perByte(shapes.emptyArrays as string)).toBeGreaterThan(2 * perByte(shapes.numbers as string));
  });

  it('leaves a thread a positive budget below its heap limit', () => {
    expect(HEAP_BUDGET).toBeGreaterThan(0);
    expect(HEAP_BUDGET).toBeLessThan(Number.POSITIVE_INFINITY);
  });
});
