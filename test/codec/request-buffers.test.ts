// src/codec/arena.ts: request buffers are reused across requests, and still honour the
// kernel contract (zero-filled arrays of exactly the length asked for).
// (Lives with the codec tests, where this change's tests were asked for.)

import { describe, expect, it } from 'vitest';
import { arenaBytes, lendFloat32, lendFloat64, releaseRequestBuffers } from '../../src/codec/arena.js';

describe('request buffers', () => {
  it('lends zero-filled arrays of the exact length, and reuses them after release', () => {
    const a = lendFloat64(100_000);
    expect(a.length).toBe(100_000);
    a.fill(7);
    const buffer = a.buffer;
    releaseRequestBuffers();
    const b = lendFloat64(99_000);
    expect(b.buffer).toBe(buffer);
    expect(b.length).toBe(99_000);
    expect(b.every((v) => v === 0)).toBe(true);
    releaseRequestBuffers();
  });

  it('never lends the same buffer twice within a request', () => {
    const a = lendFloat64(50_000);
    const b = lendFloat32(100_000);
    expect(a.buffer).not.toBe(b.buffer);
    releaseRequestBuffers();
  });

  it('keeps small arrays out of the pool, and a bounded amount of memory in it', () => {
    expect(lendFloat64(10).buffer.byteLength).toBe(80);
    for (let i = 0; i < 20; i++) lendFloat64(1_000_000 + i * 70_000);
    releaseRequestBuffers();
    expect(arenaBytes().lent).toBe(0);
    expect(arenaBytes().free).toBeLessThanOrEqual(96 * 1024 * 1024);
  });
});
