// The piscina pool that runs every loss: a fixed number of threads, a bounded queue (a full
// queue is a 503, never an unbounded backlog), per-task timeouts that terminate the worker
// rather than leave it computing for nobody, and a heap limit per worker so that one huge
// request kills its worker, not the process (piscina replaces the worker). The limit alone may
// abort the process when one step allocates far past it, so a body too large to parse within it
// is refused before parsing (src/pipeline/heap-budget.ts).

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Config } from '../config.js';
import { type Failure, failure } from '../errors.js';
import type {
  BatchTask,
  HelpAnswer,
  HelpRequest,
  InferTask,
  LossTask,
  Reply,
  StreamReply,
  StreamTask,
  Task,
} from './protocol.js';

/** Raw bodies this large may get a second worker for their response (when the pool is idle). */
const HELP_BODY_BYTES = 4 * 1024 * 1024;

/** A worker's young generation (V8 semi-spaces), MB. */
const YOUNG_GENERATION_MB = 48;

/** Raw bodies this small run without a timeout (at most a few thousand elements). */
const SMALL_BODY_BYTES = 16 * 1024;

export interface PoolOptions {
  readonly workers: number;
  readonly maxQueue: number;
  readonly workerHeapMb: number;
  /** The worker entry (compiled JS). Default: worker-entry.cjs beside this module. */
  readonly workerFile?: URL | string;
  /**
   * Raw body bytes that may wait in or for the pool at once; beyond it a request is refused
   * (503) rather than held, so a flood of large bodies cannot exhaust memory. One request is
   * always accepted when the pool is empty. Default: no limit.
   */
  readonly maxQueuedBytes?: number;
}

export interface LossPool {
  run(task: LossTask | BatchTask | InferTask, timeoutMs: number): Promise<Reply>;
  /**
   * A group of stream lines. Never refused for a full queue: it waits for room instead (until
   * `signal` aborts), and streams together take at most half of the queue's slots and bytes.
   */
  runStream(task: StreamTask, timeoutMs: number, signal?: AbortSignal): Promise<StreamReply | Failure>;
  /** True when a worker answers a ping within `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean>;
  readonly size: number;
  /** Tasks waiting for a worker. */
  readonly queued: number;
  /** Share of the pool's time spent running tasks, 0..1. */
  readonly utilization: number;
  close(): Promise<void>;
}

// piscina's errors are recognised by name and message (not instanceof: realms may differ)
const messageOf = (e: unknown) => String((e as { message?: unknown } | null)?.message ?? e);

function isQueueFull(e: unknown): boolean {
  return /queue is at limit|no task queue available/i.test(messageOf(e));
}

function isAbort(e: unknown): boolean {
  return (e as { name?: unknown } | null)?.name === 'AbortError' || /aborted/i.test(messageOf(e));
}

/** The pool a server with `config` runs: its workers, queue and memory bounds. */
export function poolOptionsFor(config: Config): PoolOptions {
  return {
    workers: config.workers,
    maxQueue: config.maxQueue,
    workerHeapMb: config.workerHeapMb,
    // bodies waiting for or in a worker: four maximum-size ones
    maxQueuedBytes: 4 * config.bodyLimit,
  };
}

export function createPool(options: PoolOptions): LossPool {
  const filename = String(options.workerFile ?? new URL('./worker-entry.cjs', import.meta.url));
  const piscina = new Piscina({
    filename,
    minThreads: options.workers,
    maxThreads: options.workers,
    maxQueue: options.maxQueue,
    // A worker runs one task at a time (its handler is synchronous), but may hold a second
    // small one waiting in its port, so that it starts the moment the first ends rather than
    // after a round trip through this thread (which is busy with sockets under load): +25%
    // small-request throughput (BENCHMARKS.md). piscina's balancer never queues a task behind
    // an abortable one (a body above SMALL_BODY_BYTES carries its timeout's signal) and gives
    // an abortable task only an idle worker, so nothing waits behind a large request, and a
    // timeout that terminates a worker takes no other request with it.
    concurrentTasksPerWorker: 2,
    idleTimeout: Number.POSITIVE_INFINITY,
    // The young generation sized as Node 20 sizes it by default: Node 24 lets a worker's grow to
    // 192 MB and 26 to 96 MB, which showed as 170-210 MB of RSS growth in a long stream on 24
    // (test/server/stream.test.ts) and bought no speed: the large cross_entropy request and the
    // small one took the same time in a worker with 48 MB or the default, on 20, 24 and 26.
    resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });

  // NOTE: piscina keeps tasks that carry an AbortSignal in a separate queue that its maxQueue
  // does not count, so the bound is kept here: running tasks plus waiting ones.
  let inFlight = 0;
  let inFlightBytes = 0;
  const capacity = options.workers + options.maxQueue;
  const maxBytes = options.maxQueuedBytes ?? Number.POSITIVE_INFINITY;

  async function run(task: LossTask | BatchTask | InferTask, timeoutMs: number): Promise<Reply> {
    const bytes = task.body.byteLength;
    if (inFlight >= capacity || (inFlight > 0 && inFlightBytes + bytes > maxBytes)) {
      return failure('LOSSD_OVERLOADED', 'the worker queue is full; retry shortly');
    }
    inFlight++;
    inFlightBytes += bytes;
    try {
      return (await runNow(task, timeoutMs)) as Reply;
    } finally {
      inFlight--;
      inFlightBytes -= bytes;
      wakeStreams();
    }
  }

  // A stream's groups wait for room instead of failing: a stream is one request that has
  // already started answering, so a full queue must slow it, not cut it. Streams share half of
  // the slots and of the queued bytes; the other half stays for single requests, which are
  // refused (503) only when the whole queue is full, so a few long streams cannot lock them out.
  const streamSlots = Math.max(1, Math.floor(capacity / 2));
  const streamBytes = maxBytes / 2;
  const waiting = new Set<() => void>();

  function wakeStreams(): void {
    for (const wake of [...waiting]) wake();
  }

  function streamRoom(bytes: number): boolean {
    return inFlight < streamSlots && (inFlight === 0 || inFlightBytes + bytes <= streamBytes);
  }

  async function runStream(task: StreamTask, timeoutMs: number, signal?: AbortSignal): Promise<StreamReply | Failure> {
    const bytes = task.body.byteLength;
    while (!streamRoom(bytes)) {
      if (signal?.aborted) return failure('LOSSD_OVERLOADED', 'the stream ended while waiting for a worker');
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiting.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        waiting.add(wake);
        signal?.addEventListener('abort', wake);
      });
    }
    inFlight++;
    inFlightBytes += bytes;
    try {
      return (await runNow(task, timeoutMs)) as StreamReply | Failure;
    } finally {
      inFlight--;
      inFlightBytes -= bytes;
      wakeStreams();
    }
  }

  /**
   * A worker asks for another to write part of a large response (src/pool/worker.ts): done
   * when no other request is in flight, declined otherwise (the asker then writes it itself).
   * Either way the answer goes back on the port and the asker's flag is set.
   */
  async function help(request: HelpRequest, port: MessagePort): Promise<void> {
    let bytes: Uint8Array | null = null;
    if (inFlight === 1) {
      try {
        bytes = (await piscina.run(request.task)) as Uint8Array;
      } catch {
        bytes = null;
      }
    }
    try {
      port.postMessage({ bytes } satisfies HelpAnswer, bytes === null ? [] : [bytes.buffer as ArrayBuffer]);
    } catch {
      // the asker is gone (timed out): nothing to answer
    }
    Atomics.store(request.flag, 0, 1);
    Atomics.notify(request.flag, 0);
  }

  async function runNow(task: LossTask | BatchTask | InferTask | StreamTask, timeoutMs: number): Promise<unknown> {
    const transferList: (ArrayBuffer | MessagePort)[] = [];
    let channel: MessageChannel | undefined;
    const body = task.body;
    transferList.push(body.buffer as ArrayBuffer);
    const small = body.byteLength <= SMALL_BODY_BYTES;
    // a large request alone in the pool may have its response written by two workers
    if (task.kind === 'loss' && body.byteLength >= HELP_BODY_BYTES && piscina.threads.length >= 2 && inFlight === 1) {
      channel = new MessageChannel();
      const port = channel.port2;
      port.on('message', (request: HelpRequest) => void help(request, port));
      transferList.push(channel.port1);
      task = { ...task, helper: channel.port1 };
    }
    try {
      // A small body cannot hold enough elements to run for long: no timer, no abort listener
      // (they are a measurable share of a small request's cost on this thread).
      const signal = small ? undefined : AbortSignal.timeout(timeoutMs);
      return await piscina.run(task, signal ? { transferList, signal } : { transferList });
    } catch (e) {
      if (isQueueFull(e)) return failure('LOSSD_OVERLOADED', 'the worker queue is full; retry shortly');
      if (isAbort(e))
        return failure('LOSSD_TIMEOUT', `the computation took longer than ${timeoutMs} ms and was stopped`);
      return failure('LOSSD_WORKER_CRASHED', `the worker computing this request stopped: ${messageOf(e)}`);
    } finally {
      channel?.port2.close();
    }
  }

  return {
    run,
    runStream,
    async ping(timeoutMs) {
      try {
        return (
          (await piscina.run({ kind: 'ping' } satisfies Task, { signal: AbortSignal.timeout(timeoutMs) })) === true
        );
      } catch {
        return false;
      }
    },
    get size() {
      return piscina.threads.length;
    },
    get queued() {
      return Math.max(0, inFlight - options.workers);
    },
    get utilization() {
      return piscina.utilization;
    },
    close: () => piscina.destroy(),
  };
}
