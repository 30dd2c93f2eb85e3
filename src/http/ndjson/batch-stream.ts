// One NDJSON batch stream (POST /v1/batch, application/x-ndjson): request lines in, answer
// lines out, in order, with bounded memory whatever the length of the stream.
//
// This thread only frames lines (./line-framer.ts) and moves bytes: consecutive lines are
// packed into groups, each group one pool task (parsed and computed in a worker,
// src/pipeline/run-stream.ts), several groups in flight at once so that every worker has
// work. Answers come back in any order and leave in request order.
//
// Memory is bounded by a window: the items read and not yet answered (their lines, then their
// answers), at most WINDOW_ITEMS of them and WINDOW_BYTES (one item is always admitted, so a
// line up to the body limit still goes through). A full window stops the framing, which
// pauses the request; a client that stops reading (the response's buffer full: this
// Readable's push returns false) stops the dispatching and the framing too. Either way the
// request's socket stops being read and TCP slows the client down.
//
// This object is the response body (a Readable that Fastify pipes into the response).

import { Readable } from 'node:stream';
import { type ErrorCode, type Failure, failure, PROBLEMS, problemBody } from '../../errors.js';
import type { LossPool } from '../../pool/pool.js';
import type { StreamReply } from '../../pool/protocol.js';
import type { StreamEnd, StreamMetrics } from '../metrics.js';
import { LineFramer } from './line-framer.js';

export const NDJSON = 'application/x-ndjson';

/** Bounds of one stream; the defaults suit small and large items alike. */
export interface StreamBounds {
  /** Items read and not yet answered (default 4096). */
  readonly windowItems: number;
  /** Bytes those items hold: their lines until computed, then their answers (default 8 MiB). */
  readonly windowBytes: number;
  /** A group (one pool task) closes at this many lines (default 256)... */
  readonly groupItems: number;
  /**
   * ...or this many bytes (default 16 KiB: the pool runs a body this small without a timer
   * and may queue it behind another in a worker, src/pool/pool.ts).
   */
  readonly groupBytes: number;
  /** Groups in the pool at once, per worker (default 2). */
  readonly tasksPerWorker: number;
}

export const DEFAULT_BOUNDS: StreamBounds = {
  windowItems: 4096,
  windowBytes: 8 * 1024 * 1024,
  groupItems: 256,
  groupBytes: 16 * 1024,
  tasksPerWorker: 2,
};

export interface StreamOptions {
  readonly pool: LossPool;
  /** The request body: raw bytes, or the output of a content-encoding decoder. */
  readonly source: Readable;
  /** Most bytes one line may hold (LOSSD_BODY_LIMIT). */
  readonly lineLimit: number;
  /** Most tensor elements one line may hold (LOSSD_MAX_ELEMENTS). */
  readonly maxElements: number;
  /** Computation time limit of one group (LOSSD_REQUEST_TIMEOUT_MS; small groups run without). */
  readonly timeoutMs: number;
  readonly metrics: StreamMetrics;
  readonly bounds?: Partial<StreamBounds>;
  /** Called once, when the response is first read from: the moment to send its headers. */
  readonly onStart?: () => void;
}

/** What the stream did, for its log line (kept current as it runs). */
export interface StreamSummary {
  readonly loss: 'stream';
  items: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  elements: number;
  kernelMs: number;
  totalMs: number;
}

/** Consecutive items that leave together: a group of lines (one task), or one error line. */
interface Slot {
  /**
   * The group's lines, LF between them, while it fills and waits for a worker (copied out of
   * the socket's chunks as they are framed, so that no chunk outlives its lines); null once
   * dispatched.
   */
  packed: Buffer | null;
  /** Bytes of `packed` in use. */
  used: number;
  items: number;
  /** Bytes this slot holds in the window: its lines', then its answers'. */
  bytes: number;
  /** Answer lines, once known. */
  answer: Buffer | null;
  outcomes: Readonly<Record<string, number>>;
}

const LF = 0x0a;

function errorLine(f: Failure): string {
  return `{"error":${JSON.stringify(problemBody(f))}}\n`;
}

export class BatchStream extends Readable {
  readonly summary: StreamSummary = {
    loss: 'stream',
    items: 0,
    errors: 0,
    bytesIn: 0,
    bytesOut: 0,
    elements: 0,
    kernelMs: 0,
    totalMs: 0,
  };
  /** Set when the server ended the stream early (shutdown): the connection should close. */
  stoppedBy: Failure | null = null;

  private readonly bounds: StreamBounds;
  private readonly framer: LineFramer;
  private readonly source: Readable;
  private readonly started = performance.now();
  private readonly abort = new AbortController();
  private readonly maxTasks: number;

  /** In request order: what is computed or computing, then what waits to be written. */
  private readonly slots: Slot[] = [];
  /** The group being filled, if any (the last slot). */
  private open: Slot | null = null;
  /** Closed groups not yet dispatched, in order. */
  private readonly ready: Slot[] = [];
  private windowItems = 0;
  private windowBytes = 0;
  private tasks = 0;
  private inputDone = false;
  /** The response's buffer is full: nothing is dispatched or read until it drains. */
  private blocked = false;
  private finished = false;
  private calledStart = false;
  private pumping = false;
  private again = false;

  private readonly onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.summary.bytesIn += bytes.length;
    this.framer.push(bytes);
    this.pump();
    if (!this.framer.hungry) this.source.pause();
  };
  private readonly onEnd = () => {
    this.inputDone = true;
    this.framer.end();
    this.pump();
  };
  private readonly onError = (err: Error & { code?: string }) => {
    // a client that went away: nobody to answer
    if (err.code === 'ECONNRESET' || err.message === 'aborted') {
      this.destroy();
      return;
    }
    // anything else (a body its decoder cannot read, ./decoded-body.ts) ends the stream with
    // that problem, after the answers to the lines before it
    const code = err.code !== undefined && Object.hasOwn(PROBLEMS, err.code) ? (err.code as ErrorCode) : undefined;
    this.stop(
      code === undefined
        ? failure('LOSSD_INVALID_REQUEST', `the request body could not be read: ${err.message}`)
        : failure(code, err.message),
    );
  };

  constructor(private readonly options: StreamOptions) {
    super({ highWaterMark: 64 * 1024 });
    this.bounds = { ...DEFAULT_BOUNDS, ...options.bounds };
    this.framer = new LineFramer(options.lineLimit);
    this.maxTasks = Math.max(1, this.bounds.tasksPerWorker * options.pool.size);
    this.source = options.source;
    options.metrics.started();
    this.source.on('data', this.onData);
    this.source.on('end', this.onEnd);
    this.source.on('error', this.onError);
    // a decoder may have failed on a short body before this stream was made
    const failed = this.source.errored;
    if (failed !== null) queueMicrotask(() => this.onError(failed));
  }

  /**
   * Ends the stream early with `problem` as its last line (server shutdown): no more lines are
   * read; those already taken in are still answered first.
   */
  stop(problem: Failure): void {
    if (this.finished || this.stoppedBy !== null) return;
    this.stoppedBy = problem;
    this.detachSource();
    this.source.pause();
    this.closeGroup();
    this.pump();
  }

  override _read(): void {
    if (!this.calledStart) {
      this.calledStart = true;
      this.options.onStart?.();
    }
    this.blocked = false;
    this.pump();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // the response closed before the stream ended: the client is gone
    if (!this.finished) this.finish('aborted');
    callback(err);
  }

  /** Moves everything that can move: answers out, lines in, groups to the workers. */
  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        if (this.finished) return;
        this.writeAnswers();
        if (!this.blocked) {
          this.takeLines();
          this.dispatch();
        }
        this.maybeEnd();
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  private windowFull(): boolean {
    return (
      this.windowItems >= this.bounds.windowItems ||
      (this.windowItems > 0 && this.windowBytes >= this.bounds.windowBytes)
    );
  }

  /** Frames lines into the window while it has room and bytes are at hand. */
  private takeLines(): void {
    if (this.stoppedBy !== null) return;
    while (!this.windowFull()) {
      const frame = this.framer.next();
      if (frame === undefined) {
        // no complete line at hand: read on, and send the workers what there is if they wait
        if (this.framer.hungry) {
          if (this.tasks < this.maxTasks) this.closeGroup();
          if (this.source.isPaused()) this.source.resume();
        } else this.closeGroup();
        return;
      }
      if (frame.kind === 'oversized') {
        this.closeGroup();
        const limit = this.options.lineLimit;
        const problem = failure(
          'LOSSD_BODY_TOO_LARGE',
          `the line has ${frame.bytes} bytes; at most ${limit} are accepted`,
          [{ path: '', message: `more than ${limit} bytes` }],
        );
        const slot = this.admit({ packed: null, used: 0, items: 0, bytes: 0, answer: null, outcomes: {} });
        this.grow(slot, 1, 0);
        this.settle(slot, Buffer.from(errorLine(problem)), { 413: 1 });
        continue;
      }
      this.addLine(frame.bytes);
    }
  }

  /** A line joins the open group (a new one when it would not fit). */
  private addLine(line: Buffer): void {
    let group = this.open;
    if (group !== null && group.used + 1 + line.length > (group.packed as Buffer).length) {
      this.closeGroup();
      group = null;
    }
    if (group === null) {
      const packed = Buffer.allocUnsafeSlow(Math.max(this.bounds.groupBytes, line.length));
      group = this.admit({ packed, used: 0, items: 0, bytes: 0, answer: null, outcomes: {} });
      this.open = group;
    }
    const packed = group.packed as Buffer;
    if (group.used > 0) packed[group.used++] = LF;
    group.used += line.copy(packed, group.used);
    this.grow(group, 1, line.length + 1);
    if (group.items >= this.bounds.groupItems || group.used >= this.bounds.groupBytes) this.closeGroup();
  }

  /** An empty slot joins the window, after every slot before it. */
  private admit(slot: Slot): Slot {
    this.slots.push(slot);
    return slot;
  }

  /** A slot in the window holds `items` more items and `bytes` more bytes (or fewer). */
  private grow(slot: Slot, items: number, bytes: number): void {
    slot.items += items;
    slot.bytes += bytes;
    this.windowItems += items;
    this.windowBytes += bytes;
    this.options.metrics.window(items, bytes);
  }

  private closeGroup(): void {
    const group = this.open;
    if (group === null) return;
    const packed = group.packed as Buffer;
    // a group closed early (the input paused) keeps only what it holds
    if (group.used < packed.length / 2) {
      const trimmed = Uint8Array.prototype.slice.call(packed, 0, group.used);
      group.packed = Buffer.from(trimmed.buffer, 0, group.used);
    }
    this.ready.push(group);
    this.open = null;
  }

  /** Sends closed groups to the pool, up to maxTasks of this stream's at once. */
  private dispatch(): void {
    while (this.tasks < this.maxTasks) {
      const slot = this.ready.shift();
      if (slot === undefined) return;
      // its own buffer, transferred to the worker
      const body = (slot.packed as Buffer).subarray(0, slot.used);
      slot.packed = null;
      this.tasks++;
      const task = { kind: 'stream', body, maxElements: this.options.maxElements } as const;
      void this.options.pool.runStream(task, this.options.timeoutMs, this.abort.signal).then((reply) => {
        this.tasks--;
        if (this.finished) return;
        this.computed(slot, reply);
        this.pump();
      });
    }
  }

  private computed(slot: Slot, reply: StreamReply | Failure): void {
    if (reply.ok) {
      this.summary.elements += reply.elements;
      this.summary.kernelMs += reply.kernelMs;
      const answer = Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength);
      this.settle(slot, answer, reply.outcomes);
      return;
    }
    // the group failed as a whole (timeout, a crashed worker): each of its items says so
    const line = errorLine(reply);
    this.settle(slot, Buffer.from(line.repeat(slot.items)), { [PROBLEMS[reply.code].status]: slot.items });
  }

  /** A slot's answer is known: it holds the answer's bytes in the window, not its lines'. */
  private settle(slot: Slot, answer: Buffer, outcomes: Readonly<Record<string, number>>): void {
    this.grow(slot, 0, answer.length - slot.bytes);
    slot.answer = answer;
    slot.outcomes = outcomes;
    // an answer settled inside the pump (an oversized line) is written on its next turn: no
    // later event may come to do it (the oversized line was the last of the body)
    this.again = true;
  }

  /** Writes the answers that are next in order, until the response's buffer is full. */
  private writeAnswers(): void {
    while (!this.blocked) {
      const slot = this.slots[0];
      if (slot === undefined || slot.answer === null) return;
      this.slots.shift();
      this.windowItems -= slot.items;
      this.windowBytes -= slot.bytes;
      this.options.metrics.window(-slot.items, -slot.bytes);
      this.summary.items += slot.items;
      for (const [outcome, n] of Object.entries(slot.outcomes)) if (outcome !== 'ok') this.summary.errors += n;
      this.summary.bytesOut += slot.answer.length;
      this.options.metrics.answered(slot.outcomes);
      if (!this.push(slot.answer)) this.blocked = true;
    }
  }

  private maybeEnd(): void {
    if (this.slots.length > 0) return;
    if (this.stoppedBy !== null) {
      const last = Buffer.from(errorLine(this.stoppedBy));
      this.summary.bytesOut += last.length;
      this.push(last);
      this.push(null);
      this.finish('stopped');
      return;
    }
    if (this.inputDone && this.framer.drained) {
      this.push(null);
      this.finish('complete');
    }
  }

  private detachSource(): void {
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.source.off('error', this.onError);
    // an error after this point has nobody else to go to
    this.source.on('error', () => {});
  }

  private finish(how: StreamEnd): void {
    this.finished = true;
    if (this.stoppedBy === null) this.detachSource();
    if (how === 'aborted') {
      this.abort.abort();
      this.source.destroy();
    } else if (how === 'stopped') {
      // the rest of the body is read and dropped until the connection closes
      this.source.resume();
    }
    this.options.metrics.window(-this.windowItems, -this.windowBytes);
    this.windowItems = 0;
    this.windowBytes = 0;
    this.slots.length = 0;
    this.ready.length = 0;
    this.open = null;
    const seconds = (performance.now() - this.started) / 1000;
    this.summary.totalMs = seconds * 1000;
    this.options.metrics.ended(how, seconds);
  }
}
