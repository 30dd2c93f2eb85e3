// The NDJSON framer: lines cut wherever the chunks fall, CRLF and blank lines, a last line
// without LF, and a line over the limit counted and dropped as it arrives, never held.

import { describe, expect, it } from 'vitest';
import { type Frame, LineFramer } from '../../../src/http/ndjson/line-framer.js';

/** Every frame of `text` fed in chunks of `size` bytes, as text (or "<n bytes>" when oversized). */
function frames(text: string, size: number, limit = 1000): string[] {
  const framer = new LineFramer(limit);
  const bytes = Buffer.from(text);
  const out: string[] = [];
  const drain = () => {
    for (let f: Frame | undefined = framer.next(); f !== undefined; f = framer.next())
      out.push(f.kind === 'line' ? f.bytes.toString() : `<${f.bytes} bytes>`);
  };
  for (let at = 0; at < bytes.length; at += size) {
    framer.push(bytes.subarray(at, at + size));
    drain();
    expect(framer.hungry).toBe(true);
  }
  framer.end();
  drain();
  expect(framer.drained).toBe(true);
  return out;
}

describe('LineFramer', () => {
  it('cuts the same lines whatever the chunk boundaries', () => {
    const text = '{"a":1}\n{"b":[1,2,3]}\n{"c":"é"}\n';
    for (const size of [1, 2, 3, 7, 100]) expect(frames(text, size)).toEqual(['{"a":1}', '{"b":[1,2,3]}', '{"c":"é"}']);
  });

  it('drops one CR before LF, skips blank lines, and takes a last line without LF', () => {
    expect(frames('a\r\n\r\n  \t\nb\n\n\nc\r', 2)).toEqual(['a', 'b', 'c']);
    expect(frames('x', 1)).toEqual(['x']);
    expect(frames('', 1)).toEqual([]);
    expect(frames('\n\n', 1)).toEqual([]);
  });

  it('skips runs of empty lines wherever the chunks fall, around long and short lines', () => {
    const text = `\n\n\n{"a":1}\n\n\n\n\r\n\n${'x'.repeat(30)}\n\n\n{"b":2}\n\n`;
    for (const size of [1, 2, 3, 5, 64]) {
      expect(frames(text, size, 20)).toEqual(['{"a":1}', '<30 bytes>', '{"b":2}']);
    }
    // a body of nothing but LFs is no line at all
    expect(frames('\n'.repeat(100_000), 4096)).toEqual([]);
  });

  it('gives a line over the limit as its byte count, and the lines around it as they are', () => {
    const long = 'y'.repeat(5000);
    expect(frames(`a\n${long}\nb`, 64, 1000)).toEqual(['a', '<5000 bytes>', 'b']);
    // exactly the limit is a line; one more byte is not; a CR does not count
    expect(frames(`${'z'.repeat(10)}\r\n${'z'.repeat(11)}\n`, 3, 10)).toEqual(['z'.repeat(10), '<11 bytes>']);
    expect(frames(`ok\n${long}`, 100, 1000)).toEqual(['ok', '<5000 bytes>']);
  });

  it('never holds more of a long line than the limit', () => {
    const framer = new LineFramer(1000);
    const piece = Buffer.alloc(64 * 1024, 0x31);
    let held = 0;
    for (let i = 0; i < 100; i++) {
      framer.push(piece);
      expect(framer.next()).toBeUndefined();
      held = Math.max(held, framer.heldBytes);
    }
    expect(held).toBeLessThanOrEqual(1000 + piece.length);
    framer.push(Buffer.from('\nq\n'));
    expect(framer.next()).toEqual({ kind: 'oversized', bytes: 100 * piece.length });
    expect(framer.next()?.kind).toBe('line');
  });

  it('stops between lines when the caller stops asking, and goes on from there', () => {
    const framer = new LineFramer(100);
    framer.push(Buffer.from('1\n2\n3\n'));
    expect((framer.next() as { bytes: Buffer }).bytes.toString()).toBe('1');
    expect(framer.hungry).toBe(false);
    framer.push(Buffer.from('4\n'));
    const rest: string[] = [];
    for (let f = framer.next(); f !== undefined; f = framer.next())
      rest.push((f as { bytes: Buffer }).bytes.toString());
    expect(rest).toEqual(['2', '3', '4']);
  });
});
