// Reads a request body into one buffer of its own, decoding it first when it is sent with a
// content-encoding (gzip, deflate, br). Fastify's buffer parser keeps every socket chunk until
// the end and then concatenates them, so a 20 MB body is held twice on the main thread; here
// each chunk is copied into a buffer sized from content-length as it arrives and dropped at
// once. That buffer is its own ArrayBuffer (never a slice of Node's pool), so it can be
// transferred to a worker as is. The byte limit holds for the body as sent and as decoded:
// decoding stops the moment it passes the limit, so a small body that would inflate to
// gigabytes costs a few milliseconds and never more than the limit in memory.

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { errorCodes } from 'fastify';
import { cut, shown } from '../bounded-text.js';
import { type ErrorCode, PROBLEMS } from '../errors.js';
import { releaseBytes } from './release-bytes.js';

const { FST_ERR_CTP_BODY_TOO_LARGE, FST_ERR_CTP_INVALID_CONTENT_LENGTH } = errorCodes;

/** Bodies without a content-length (chunked, or decoded) start in a buffer this large and double. */
const CHUNKED_START_BYTES = 64 * 1024;

/**
 * A declared length is trusted only this far before its bytes arrive: a larger body starts in
 * a buffer of this size and moves to one of its declared size once it has sent this much, so
 * that a client cannot make the server commit 64 MB per connection by sending a header alone.
 */
const TRUSTED_LENGTH_BYTES = 1024 * 1024;

/** Decoded bytes per chunk the decoder hands over (zlib's default is 16 KiB). */
const DECODED_CHUNK_BYTES = 256 * 1024;

/** Bytes copied per turn of the event loop when decoded chunks are joined into one buffer. */
const JOIN_SLICE_BYTES = 1024 * 1024;

/** The content codings a body may be sent with, as the 415 problem names them. */
export const CONTENT_CODINGS = ['gzip', 'deflate', 'br'] as const;
export type Coding = (typeof CONTENT_CODINGS)[number];

/** A problem met while reading a body; the error handler (./problem.ts) answers `code`. */
export class BodyError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.statusCode = PROBLEMS[code].status;
  }
}

/**
 * The coding a content-encoding header names: null for none or identity (header names and
 * values are case-insensitive; x-gzip is gzip, RFC 9110 8.4.1.3); a 415 for an unknown coding
 * or a chain of them, which no client needs for JSON.
 */
export function codingOf(header: string | undefined): Coding | null | BodyError {
  if (header === undefined) return null;
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return null;
  const only = codings.length === 1 ? (codings[0] === 'x-gzip' ? 'gzip' : codings[0]) : undefined;
  if ((CONTENT_CODINGS as readonly string[]).includes(only ?? '')) return only as Coding;
  return new BodyError(
    'LOSSD_UNSUPPORTED_ENCODING',
    `content-encoding ${shown(header)} is not supported: send the body as is, or encoded once with ${CONTENT_CODINGS.join(', ')}`,
  );
}

/** The body's bytes, in a buffer of its own, held to the byte limit as they arrive. */
class Sink {
  private buf: Buffer;
  private received = 0;

  constructor(
    private readonly limit: number,
    /** The declared length (NaN when unknown). */
    private readonly declared: number,
  ) {
    // allocUnsafeSlow: a fresh ArrayBuffer of exactly this size, not a slice of the shared
    // pool, and no zero fill of bytes that are about to be overwritten
    this.buf = Buffer.allocUnsafeSlow(
      Number.isNaN(declared) ? CHUNKED_START_BYTES : Math.min(declared, TRUSTED_LENGTH_BYTES),
    );
  }

  get length(): number {
    return this.received;
  }

  /** Adds `bytes`; false (and nothing added) if they take the body past the limit. */
  push(bytes: Buffer): boolean {
    const end = this.received + bytes.length;
    if (end > this.limit) return false;
    if (end > this.buf.length) {
      // to the declared length once the body has shown it means it; without one, doubling
      const size = end <= this.declared ? this.declared : Math.min(this.limit, Math.max(end, 2 * this.buf.length));
      const grown = Buffer.allocUnsafeSlow(size);
      this.buf.copy(grown, 0, 0, this.received);
      releaseBytes(this.buf);
      this.buf = grown;
    }
    bytes.copy(this.buf, this.received);
    // the socket chunk is garbage now: freed at once rather than at the next collection
    releaseBytes(bytes);
    this.received = end;
    return true;
  }

  /** The bytes, in a buffer exactly their size (cut by copying, so the worker owns exactly it). */
  take(): Buffer {
    const { buf, received } = this;
    if (received === buf.length) return buf;
    const body = Buffer.from(buf.buffer.slice(0, received));
    releaseBytes(buf);
    return body;
  }
}

const asBuffer = (chunk: Buffer | string) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk);

/**
 * Decoded chunks (kept as zlib hands them over: its output buffers are never reused) joined
 * into one buffer of their total size, its own ArrayBuffer, a megabyte per turn of the event
 * loop: a 20 MB body is never one 20 MB copy (and its page faults) that other requests wait on.
 */
function join(chunks: Buffer[], total: number, done: (body: Buffer) => void): void {
  const out = Buffer.allocUnsafeSlow(total);
  let at = 0;
  let i = 0;
  const step = () => {
    const stop = at + JOIN_SLICE_BYTES;
    while (i < chunks.length && at < stop) {
      const chunk = chunks[i] as Buffer;
      chunk.copy(out, at);
      at += chunk.length;
      chunks[i++] = EMPTY; // dropped as soon as copied
    }
    if (i < chunks.length) setImmediate(step);
    else done(out);
  };
  step();
}

const EMPTY = Buffer.alloc(0);

/**
 * A decoder for `coding`. "deflate" is the zlib format (RFC 9110 8.4.1.2), but some clients
 * send raw deflate: the first two bytes tell which (a zlib header is CM 8 and a multiple of 31).
 */
export function decoderFor(coding: Coding, head: Buffer): Transform {
  const options = { chunkSize: DECODED_CHUNK_BYTES };
  if (coding === 'gzip') return createGunzip(options);
  if (coding === 'br') return createBrotliDecompress(options);
  const [b0 = 0, b1 = 0] = head;
  const zlibHeader = head.length >= 2 && (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
  return zlibHeader ? createInflate(options) : createInflateRaw(options);
}

/** The 400 for a body its decoder cannot read (not `coding` data, truncated, corrupt). */
export function malformedEncoding(coding: Coding, err: Error): BodyError {
  return new BodyError(
    'LOSSD_MALFORMED_ENCODING',
    `the body is not valid ${coding} data, as its content-encoding says: ${cut(err.message, 80)}`,
  );
}

export function readBody(
  payload: IncomingMessage,
  headers: IncomingHttpHeaders,
  limit: number,
  done: (err: Error | null, body?: Buffer) => void,
): void {
  const coding = codingOf(headers['content-encoding']);
  if (coding instanceof BodyError) {
    done(coding);
    return;
  }
  const lengthHeader = headers['content-length'];
  const declared = lengthHeader === undefined ? Number.NaN : Number(lengthHeader);
  if (declared > limit) {
    done(new FST_ERR_CTP_BODY_TOO_LARGE());
    return;
  }
  if (coding === null) readPlain(payload, declared, limit, done);
  else readDecoded(payload, coding, declared, limit, done);
}

function readPlain(
  payload: IncomingMessage,
  declared: number,
  limit: number,
  done: (err: Error | null, body?: Buffer) => void,
): void {
  const sink = new Sink(limit, declared);

  const finish = (err: Error | null, body?: Buffer) => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(err, body);
  };

  function onData(chunk: Buffer | string) {
    if (!sink.push(asBuffer(chunk))) finish(new FST_ERR_CTP_BODY_TOO_LARGE());
  }

  function onEnd() {
    if (!Number.isNaN(declared) && sink.length !== declared) return finish(new FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    finish(null, sink.take());
  }

  function onError(err: Error & { statusCode?: number }) {
    if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
    finish(err);
  }

  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}

/**
 * Streams the body through a zlib decoder (which inflates on libuv's thread pool, not on the
 * event loop), with backpressure, keeping the decoded chunks until the end, held to the limit
 * as they come: the sent bytes are counted against the limit too.
 */
function readDecoded(
  payload: IncomingMessage,
  coding: Coding,
  declared: number,
  limit: number,
  done: (err: Error | null, body?: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  let decodedBytes = 0;
  let sent = 0;
  let decoder: Transform | undefined;
  /** the first bytes, while there are too few to tell raw deflate from zlib */
  let head = Buffer.alloc(0);
  let settled = false;

  const finish = (err: Error | null, body?: Buffer) => {
    if (settled) return;
    settled = true;
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    if (decoder) {
      decoder.removeListener('data', onDecoded);
      decoder.removeListener('end', onDecodedEnd);
      // a decoder error after this one (or none) has nowhere to go: swallow it
      decoder.on('error', () => {});
      decoder.destroy();
    }
    // the rest of a refused body is read and dropped, so that the connection stays usable
    payload.resume();
    done(err, body);
  };

  const start = (first: Buffer) => {
    const d = decoderFor(coding, first);
    d.on('data', onDecoded);
    d.on('end', onDecodedEnd);
    d.on('error', onDecodeError);
    d.on('drain', () => payload.resume());
    decoder = d;
    return d;
  };

  function onData(chunk: Buffer | string) {
    let bytes = asBuffer(chunk);
    sent += bytes.length;
    if (sent > limit) return finish(new FST_ERR_CTP_BODY_TOO_LARGE());
    if (decoder === undefined) {
      if (coding === 'deflate' && head.length + bytes.length < 2) {
        head = Buffer.concat([head, bytes]);
        return;
      }
      bytes = head.length > 0 ? Buffer.concat([head, bytes]) : bytes;
      start(bytes);
    }
    if (!decoder?.write(bytes)) payload.pause();
  }

  function onEnd() {
    if (!Number.isNaN(declared) && sent !== declared) return finish(new FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    // (a body too short to have started the decoder is all in head)
    if (decoder === undefined) start(head).end(head);
    else decoder.end();
  }

  function onError(err: Error & { statusCode?: number }) {
    if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
    finish(err);
  }

  function onDecoded(chunk: Buffer) {
    decodedBytes += chunk.length;
    chunks.push(chunk);
    if (decodedBytes > limit) {
      chunks.length = 0;
      finish(
        new BodyError(
          'LOSSD_BODY_TOO_LARGE',
          `the body decodes to more than ${limit} bytes (LOSSD_BODY_LIMIT); decoding stopped there`,
        ),
      );
    }
  }

  function onDecodedEnd() {
    const all = chunks.splice(0);
    join(all, decodedBytes, (body) => finish(null, body));
  }

  function onDecodeError(err: Error) {
    finish(malformedEncoding(coding, err));
  }

  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}
