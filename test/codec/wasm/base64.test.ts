// src/codec/wasm/base64.ts: the WebAssembly SIMD base64 gives exactly what the JS loops of
// src/codec/base64.ts give (and Node's Buffer), on both sides of its 16-character steps and of
// its chunks, and refuses exactly what they refuse.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as js from '../../../src/codec/base64.js';
import { base64Length, paddingOf } from '../../../src/codec/base64.js';
import { decodeBase64, encodeBase64 } from '../../../src/codec/wasm/base64.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1');

function decodeWith(f: typeof decodeBase64, t: Uint8Array): Buffer | null {
  const n = base64Length(t.length, paddingOf(t));
  if (n < 0) return null;
  const out = new Uint8Array(n);
  return f(t, out) ? Buffer.from(out) : null;
}

/** Lengths around the module's 12-byte steps and its 36864-byte chunks. */
const lengths = fc.oneof(
  fc.nat(100),
  fc.integer({ min: 36864 - 40, max: 36864 + 40 }),
  fc.integer({ min: 2 * 36864 - 20, max: 2 * 36864 + 20 }),
);
const bytesOf = (n: number, seed: number) => {
  const b = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};

describe('wasm encodeBase64', () => {
  it('writes what Buffer#toString("base64") writes, at any offset', () => {
    fc.assert(
      fc.property(lengths, fc.nat(), fc.nat(7), (n, seed, at) => {
        const bytes = bytesOf(n, seed);
        const out = new Uint8Array(at + 4 * Math.ceil(n / 3));
        const k = encodeBase64(bytes, out, at);
        return Buffer.from(out.subarray(at, at + k)).toString('latin1') === Buffer.from(bytes).toString('base64');
      }),
      { numRuns: 200 },
    );
  });

  it('maps every 6-bit value to its character', () => {
    // 0, 1, ..., 63 as 6-bit groups: 48 bytes
    const bits = Array.from({ length: 64 }, (_, i) => i.toString(2).padStart(6, '0')).join('');
    const bytes = Uint8Array.from({ length: 48 }, (_, i) => Number.parseInt(bits.slice(8 * i, 8 * i + 8), 2));
    const out = new Uint8Array(64);
    encodeBase64(bytes, out, 0);
    expect(Buffer.from(out).toString('latin1')).toBe(Buffer.from(bytes).toString('base64'));
  });
});

describe('wasm decodeBase64', () => {
  it('reads back what Buffer writes, padded or not, standard or URL-safe', () => {
    fc.assert(
      fc.property(lengths, fc.nat(), (n, seed) => {
        const bytes = Buffer.from(bytesOf(n, seed));
        const std = bytes.toString('base64');
        return (
          decodeWith(decodeBase64, latin1(std))?.equals(bytes) === true &&
          decodeWith(decodeBase64, latin1(bytes.toString('base64url')))?.equals(bytes) === true &&
          decodeWith(decodeBase64, latin1(std.replace(/=+$/, '')))?.equals(bytes) === true
        );
      }),
      { numRuns: 200 },
    );
  });

  it('accepts and refuses every byte value as the JS loop does, at every position of a step', () => {
    const base = latin1(Buffer.from(bytesOf(96, 3)).toString('base64')); // 128 characters
    for (let c = 0; c < 256; c++) {
      for (const at of [0, 5, 15, 16, 31, 77, 127]) {
        const t = Buffer.from(base);
        t[at] = c;
        const want = decodeWith(js.decodeBase64, t);
        const got = decodeWith(decodeBase64, t);
        if (want === null) expect(got, `byte ${c} at ${at}`).toBeNull();
        else expect(got?.equals(want), `byte ${c} at ${at}`).toBe(true);
      }
    }
  });

  it('refuses a bad character in a later chunk, and padding anywhere but the end', () => {
    const text = latin1(Buffer.from(bytesOf(3 * 36864, 9)).toString('base64'));
    for (const at of [49151, 49152, 100_000, text.length - 17, text.length - 1]) {
      const t = Buffer.from(text);
      t[at] = 0x21; // !
      expect(decodeWith(decodeBase64, t)).toBeNull();
    }
    for (const bad of ['AAA!', 'AA=A', 'A===', 'AAAA AAAA', 'AAAA\nAAA', 'ÿAAA', 'AA"A', 'AAAAAAAAAAAAAAA=AAAAAAAA']) {
      expect(decodeWith(decodeBase64, latin1(bad))).toBeNull();
    }
  });
});
