// The problem table is append-only and complete: every code has a distinct type, a status
// that matches its meaning, and appears in the OpenAPI Problem schema and its description.

import { describe, expect, it } from 'vitest';
import { problemSchema } from '../src/contract/schemas.js';
import { PROBLEMS, problemBody, problemType } from '../src/errors.js';

describe('the problem table', () => {
  const codes = Object.keys(PROBLEMS) as Array<keyof typeof PROBLEMS>;

  it('has 31 problem types (a new one is appended, never reused)', () => {
    expect(codes).toHaveLength(31);
    expect(codes.at(-1)).toBe('LOSSD_TOO_MUCH_WORK');
  });

  it('gives every code a distinct type URI, a title and an explanation', () => {
    const slugs = codes.map((c) => PROBLEMS[c].slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const c of codes) {
      expect(c).toMatch(/^LOSSD_[A-Z_]+$/);
      expect(problemType(c)).toBe(`/problems/${PROBLEMS[c].slug}`);
      expect(PROBLEMS[c].title.length).toBeGreaterThan(0);
      expect(PROBLEMS[c].explanation.length).toBeGreaterThan(10);
    }
  });

  it('uses the statuses API.md assigns', () => {
    const status = (c: keyof typeof PROBLEMS) => PROBLEMS[c].status;
    expect(status('LOSSD_MALFORMED_JSON')).toBe(400);
    expect(status('LOSSD_UNAUTHORIZED')).toBe(401);
    expect(status('LOSSD_UNKNOWN_LOSS')).toBe(404);
    expect(status('LOSSD_BODY_TOO_LARGE')).toBe(413);
    expect(status('LOSSD_TOO_MANY_ELEMENTS')).toBe(413);
    expect(status('LOSSD_TOO_MUCH_WORK')).toBe(413);
    expect(status('LOSSD_UNSUPPORTED_MEDIA_TYPE')).toBe(415);
    expect(status('LOSSD_RATE_LIMITED')).toBe(429);
    expect(status('LOSSD_OVERLOADED')).toBe(503);
  });

  it('lists every code in the OpenAPI Problem schema, and builds bodies that satisfy it', () => {
    const enumCodes = problemSchema.shape.code.options;
    expect([...enumCodes].sort()).toEqual([...codes].sort());
    for (const code of codes) {
      const body = problemBody({ code, detail: 'd', errors: [{ path: '/x', message: 'm' }] });
      expect(problemSchema.safeParse(body).success).toBe(true);
    }
  });
});
