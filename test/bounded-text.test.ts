// Request text cut for an answer: to a size, with an ellipsis, never inside a surrogate pair
// or a JSON Pointer escape, and a pointer's structure kept.

import { describe, expect, it } from 'vitest';
import { cut, cutPointer, shown } from '../src/bounded-text.js';
import { PROBLEM_MAX_BYTES, PROBLEM_MAX_ERRORS, problemBody } from '../src/errors.js';

describe('cut', () => {
  it('leaves short text alone and cuts long text with an ellipsis', () => {
    expect(cut('abc', 3)).toBe('abc');
    expect(cut('abcd', 3)).toBe('abc…');
    expect(shown('x'.repeat(100), 4)).toBe('"xxxx…"');
  });

  it('never splits a surrogate pair', () => {
    const out = cut('a😀😀', 2);
    expect(out).toBe('a…');
    expect(out).not.toMatch(/\p{Cs}/u); // no lone surrogate
  });
});

describe('cutPointer', () => {
  it('cuts a long token, not the tokens around it', () => {
    expect(cutPointer(`/items/3/${'k'.repeat(1000)}/0`)).toBe(`/items/3/${'k'.repeat(64)}…/0`);
  });

  it('never leaves half of a ~0 or ~1 escape', () => {
    const token = `${'a'.repeat(63)}~1b${'c'.repeat(100)}`;
    expect(cutPointer(`/${token}`)).toBe(`/${'a'.repeat(63)}…`);
  });

  it('keeps both ends of a very deep pointer', () => {
    const deep = `/${Array.from({ length: 100 }, (_, i) => i).join('/')}`;
    expect(cutPointer(deep)).toBe('/0/1/2/3/4/5/6/7/…/92/93/94/95/96/97/98/99');
  });
});

describe('problemBody', () => {
  it('is at most 8 KiB of JSON whatever the failure holds', () => {
    const nasty = '\u0000'.repeat(100_000);
    const errors = Array.from({ length: 10_000 }, (_, i) => ({ path: `/${nasty}${i}`, message: nasty }));
    const body = problemBody({ code: 'LOSSD_INVALID_REQUEST', detail: nasty, errors });
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(PROBLEM_MAX_BYTES);
    expect(body.errors.length).toBeLessThanOrEqual(PROBLEM_MAX_ERRORS);
    expect(body.errors_omitted).toBe(10_000 - body.errors.length);
  });

  it('adds nothing to a small failure', () => {
    const body = problemBody({ code: 'LOSSD_INVALID_REQUEST', detail: 'd', errors: [{ path: '/x', message: 'm' }] });
    expect(body).toEqual({
      type: '/problems/invalid-request',
      title: 'Invalid request',
      status: 400,
      detail: 'd',
      code: 'LOSSD_INVALID_REQUEST',
      errors: [{ path: '/x', message: 'm' }],
    });
  });
});
