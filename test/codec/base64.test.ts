// src/codec/base64.ts: bytes to base64 bytes and back, as Node's Buffer does it with strings.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Length, decodeBase64, encodeBase64, paddingOf } from '../../src/codec/base64.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe('encodeBase64', () => {
  it('writes what Buffer#toString("base64") writes, at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, at) => {
        const out = new Uint8Array(at + 4 * Math.ceil(bytes.length / 3));
        const n = encodeBase64(bytes, out, at);
        return Buffer.from(out.subarray(at, at + n)).toString('latin1') === Buffer.from(bytes).toString('base64');
      }),
    );
  });
});

describe('decodeBase64', () => {
  const decode = (text: string) => {
    const t = latin1(text);
    const n = base64Length(t.length, paddingOf(t));
    if (n < 0) return null;
    const out = new Uint8Array(n);
    return decodeBase64(t, out) ? Buffer.from(out) : null;
  };

  it('reads back what Buffer writes, padded or not, standard or URL-safe', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const std = Buffer.from(bytes).toString('base64');
        const url = Buffer.from(bytes).toString('base64url');
        return (
          decode(std)?.equals(Buffer.from(bytes)) === true &&
          decode(url)?.equals(Buffer.from(bytes)) === true &&
          decode(std.replace(/=+$/, ''))?.equals(Buffer.from(bytes)) === true
        );
      }),
    );
  });

  it('refuses characters outside the alphabet and padding anywhere but the end', () => {
    for (const bad of ['AAA!', 'AA=A', 'A===', 'AAAA AAAA', 'AAAA\nAAA', 'ÿAAA', 'AA"A']) {
      expect(decode(bad)).toBeNull();
    }
  });

  it('counts bytes as the decoder of base64 strings does', () => {
    expect(base64Length(0, 0)).toBe(0);
    expect(base64Length(4, 0)).toBe(3);
    expect(base64Length(4, 1)).toBe(2);
    expect(base64Length(4, 2)).toBe(1);
    expect(base64Length(6, 0)).toBe(4);
    expect(base64Length(5, 0)).toBe(-1);
    expect(base64Length(7, 1)).toBe(-1);
  });
});
