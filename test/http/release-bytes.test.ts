// src/http/release-bytes.ts frees a large buffer that spans its own memory at once (it is
// detached, empty after), and leaves alone what it must not free: small buffers (left to the
// collector) and views into memory that other buffers share.

import { describe, expect, it } from 'vitest';
import { releaseBytes } from '../../src/http/release-bytes.js';

describe('releaseBytes', () => {
  it('frees a large buffer that spans its own ArrayBuffer: it is detached, empty', () => {
    const b = Buffer.allocUnsafeSlow(64 * 1024).fill(7);
    const before = process.memoryUsage().arrayBuffers;
    releaseBytes(b);
    expect(b.byteLength).toBe(0);
    expect(b.buffer.byteLength).toBe(0);
    expect(process.memoryUsage().arrayBuffers).toBeLessThanOrEqual(before - 64 * 1024);
  });

  it('leaves a view into a shared ArrayBuffer, and that buffer, untouched', () => {
    const shared = new Uint8Array(256 * 1024).fill(3);
    const view = shared.subarray(1024, 1024 + 64 * 1024);
    releaseBytes(view);
    expect(view.byteLength).toBe(64 * 1024);
    expect(shared[0]).toBe(3);
    expect(shared.byteLength).toBe(256 * 1024);
  });

  it('leaves a small buffer to the collector', () => {
    const b = Buffer.allocUnsafeSlow(1024).fill(1);
    releaseBytes(b);
    expect(b.byteLength).toBe(1024);
    expect(b[0]).toBe(1);
  });

  it('ignores memory that cannot be detached (a SharedArrayBuffer)', () => {
    const b = new Uint8Array(new SharedArrayBuffer(64 * 1024)).fill(5);
    releaseBytes(b);
    expect(b.byteLength).toBe(64 * 1024);
    expect(b[0]).toBe(5);
  });
});
