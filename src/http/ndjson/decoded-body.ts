// A stream's body decoded as it arrives, for a request sent with a content-encoding: the
// request's bytes → a zlib decoder (src/http/body-reader.ts chooses it) → BatchStream, joined
// with stream.pipeline, back-pressure all the way: a stream that stops reading pauses the
// decoder, which pauses the request (Node's zlib stops mid-chunk when its output is not read,
// so a small chunk that inflates to gigabytes is never held: BatchStream drops a line over the
// limit as it arrives). A client that goes away destroys the decoder (and the stream learns it
// from the decoder's error); a stream that ends early destroys the decoder too.
//
// The request does not enter the pipeline as itself: a pipeline destroys every stream on an
// error, and destroying a request that has not ended resets its connection, so a corrupt body
// would cut off the answers before it and the last error line that says why. It enters through
// RequestBytes, whose destruction leaves the request to be read and dropped instead (the
// connection closes after the last line, src/http/routes/batch.ts).

import type { Readable as ReadableType } from 'node:stream';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { type Coding, decoderFor, malformedEncoding } from '../body-reader.js';

const EMPTY: Buffer = Buffer.alloc(0);
const noop = () => {};

/** The bytes of a request as a Readable of its own, which lets go of the request when destroyed. */
class RequestBytes extends Readable {
  private readonly onData = (chunk: Buffer) => {
    if (!this.push(chunk)) this.request.pause();
  };
  private readonly onEnd = () => this.push(null);
  private readonly onError = (err: Error) => this.destroy(err);

  constructor(private readonly request: ReadableType) {
    super({ highWaterMark: 64 * 1024 });
    request.on('data', this.onData);
    request.on('end', this.onEnd);
    request.on('error', this.onError);
    // nothing flows before the decoder asks
    request.pause();
  }

  override _read(): void {
    this.request.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.request.off('data', this.onData);
    this.request.off('end', this.onEnd);
    this.request.off('error', this.onError);
    // a client that goes away later has nobody to tell
    this.request.on('error', noop);
    // the rest of the body is read and dropped: the connection stays up for the last answers
    this.request.resume();
    callback(err);
  }
}

/**
 * The decoder of one coding, made once the first two bytes are in (raw deflate and the zlib
 * format are told apart by them, decoderFor); its errors become the 400 that says the body is
 * not what its content-encoding says.
 */
class ContentDecoder extends Transform {
  private inner: Transform | null = null;
  /** The first bytes, while there are too few to choose the decoder. */
  private head: Buffer = EMPTY;

  constructor(private readonly coding: Coding) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let bytes = chunk;
    if (this.inner === null) {
      this.head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
      if (this.coding === 'deflate' && this.head.length < 2) {
        callback();
        return;
      }
      bytes = this.head;
      this.head = EMPTY;
      this.start(bytes);
    }
    this.feed(bytes, callback);
  }

  override _flush(callback: TransformCallback): void {
    // (a body too short to have chosen the decoder is all in head)
    const inner = this.inner ?? this.start(this.head);
    inner.once('end', () => callback());
    if (this.head.length > 0) inner.end(this.head);
    else inner.end();
    this.head = EMPTY;
  }

  override _read(size: number): void {
    this.inner?.resume();
    super._read(size);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.inner !== null) {
      this.inner.off('error', this.onInnerError);
      this.inner.on('error', noop);
      this.inner.destroy();
    }
    callback(err);
  }

  private readonly onInnerError = (err: Error) => this.destroy(malformedEncoding(this.coding, err));

  private start(head: Buffer): Transform {
    const inner = decoderFor(this.coding, head);
    inner.on('data', (decoded: Buffer) => {
      if (!this.push(decoded)) inner.pause();
    });
    inner.on('error', this.onInnerError);
    this.inner = inner;
    return inner;
  }

  private feed(bytes: Buffer, callback: TransformCallback): void {
    const inner = this.inner as Transform;
    if (inner.write(bytes)) callback();
    else inner.once('drain', () => callback());
  }
}

/** `body` (a request's bytes, sent with `coding`) decoded, as a Readable of the decoded bytes. */
export function decodedBody(body: ReadableType, coding: Coding): ReadableType {
  const decoder = new ContentDecoder(coding);
  // the pipeline's own outcome is the decoder's: its reader hears of it there
  pipeline(new RequestBytes(body), decoder, noop);
  return decoder;
}
