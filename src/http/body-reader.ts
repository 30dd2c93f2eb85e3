// Reads a request body into one buffer of its own. Fastify's buffer parser keeps every socket
// chunk until the end and then concatenates them, so a 20 MB body is held twice on the main
// thread; here each chunk is copied into a buffer sized from content-length as it arrives and
// dropped at once. That buffer is its own ArrayBuffer (never a slice of Node's pool), so it
// can be transferred to a worker as is. Limits and errors are Fastify's own.

import type { IncomingMessage } from 'node:http';
import { errorCodes } from 'fastify';

const { FST_ERR_CTP_BODY_TOO_LARGE, FST_ERR_CTP_INVALID_CONTENT_LENGTH } = errorCodes;

/** Bodies without a content-length (chunked) start in a buffer this large and double. */
const CHUNKED_START_BYTES = 64 * 1024;

/**
 * A declared length is trusted only this far before its bytes arrive: a larger body starts in
 * a buffer of this size and moves to one of its declared size once it has sent this much, so
 * that a client cannot make the server commit 64 MB per connection by sending a header alone.
 */
const TRUSTED_LENGTH_BYTES = 1024 * 1024;

type Payload = IncomingMessage & { receivedEncodedLength?: number };

export function readBody(
  payload: Payload,
  contentLengthHeader: string | undefined,
  limit: number,
  done: (err: Error | null, body?: Buffer) => void,
): void {
  const declared = contentLengthHeader === undefined ? Number.NaN : Number(contentLengthHeader);
  if (declared > limit) {
    done(new FST_ERR_CTP_BODY_TOO_LARGE());
    return;
  }

  // allocUnsafeSlow: a fresh ArrayBuffer of exactly this size, not a slice of the shared pool,
  // and no zero fill of bytes that are about to be overwritten
  let buf = Buffer.allocUnsafeSlow(
    Number.isNaN(declared) ? CHUNKED_START_BYTES : Math.min(declared, TRUSTED_LENGTH_BYTES),
  );
  let received = 0;

  const finish = (err: Error | null, body?: Buffer) => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(err, body);
  };

  function onData(chunk: Buffer | string) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const end = received + bytes.length;
    // the decoded size must stay under the limit too (a compressed body cannot bomb it)
    if (end > limit || (payload.receivedEncodedLength ?? 0) > limit) {
      return finish(new FST_ERR_CTP_BODY_TOO_LARGE());
    }
    if (end > buf.length) {
      // to the declared length once the body has shown it means it; without one (or past it,
      // for a decoded body), doubling (the end checks the length)
      const size = end <= declared ? declared : Math.min(limit, Math.max(end, 2 * buf.length));
      const grown = Buffer.allocUnsafeSlow(size);
      buf.copy(grown, 0, 0, received);
      buf = grown;
    }
    bytes.copy(buf, received);
    received = end;
  }

  function onEnd() {
    if (!Number.isNaN(declared) && (payload.receivedEncodedLength || received) !== declared) {
      return finish(new FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    }
    // a chunked body's buffer is cut to size by copying, so that the worker owns exactly it
    finish(null, received === buf.length ? buf : Buffer.from(buf.buffer.slice(0, received)));
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
