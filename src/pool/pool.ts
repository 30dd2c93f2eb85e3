// The piscina pool that runs every loss: a fixed number of threads, a bounded queue (a full
// queue is a 503, never an unbounded backlog), per-task timeouts that terminate the worker
// rather than leave it computing for nobody, and a heap limit per worker so that one huge
// request kills its worker, not the process (piscina replaces the worker).

import { Piscina } from 'piscina';
import { failure } from '../errors.js';
import type { LossTask, Reply, Task } from './protocol.js';

export interface PoolOptions {
  readonly workers: number;
  readonly maxQueue: number;
  readonly workerHeapMb: number;
  /** The worker entry (compiled JS). Default: worker.js beside this module. */
  readonly workerFile?: URL | string;
}

export interface LossPool {
  run(task: LossTask, timeoutMs: number): Promise<Reply>;
  /** True when a worker answers a ping within `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean>;
  readonly size: number;
  /** Tasks waiting for a worker. */
  readonly queued: number;
  /** Share of the pool's time spent running tasks, 0..1. */
  readonly utilization: number;
  close(): Promise<void>;
}

function isQueueFull(e: unknown): boolean {
  return e instanceof Error && /queue is at limit/i.test(e.message);
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || /aborted/i.test(e.message));
}

export function createPool(options: PoolOptions): LossPool {
  const filename = String(options.workerFile ?? new URL('./worker.js', import.meta.url));
  const piscina = new Piscina({
    filename,
    minThreads: options.workers,
    maxThreads: options.workers,
    maxQueue: options.maxQueue,
    // One task per thread at a time: kernels are CPU-bound, interleaving gains nothing.
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb },
  });

  async function run(task: LossTask, timeoutMs: number): Promise<Reply> {
    const transferList: ArrayBuffer[] = [];
    if (task.raw) transferList.push((task.body as Uint8Array).buffer as ArrayBuffer);
    try {
      return (await piscina.run(task, { transferList, signal: AbortSignal.timeout(timeoutMs) })) as Reply;
    } catch (e) {
      if (isQueueFull(e)) return failure('LOSSD_OVERLOADED', 'the worker queue is full; retry shortly');
      if (isAbort(e)) return failure('LOSSD_TIMEOUT', `the computation took longer than ${timeoutMs} ms and was stopped`);
      return failure('LOSSD_WORKER_CRASHED', `the worker computing this request stopped: ${(e as Error)?.message ?? e}`);
    }
  }

  return {
    run,
    async ping(timeoutMs) {
      try {
        return (await piscina.run({ kind: 'ping' } satisfies Task, { signal: AbortSignal.timeout(timeoutMs) })) === true;
      } catch {
        return false;
      }
    },
    get size() {
      return piscina.threads.length;
    },
    get queued() {
      return piscina.queueSize;
    },
    get utilization() {
      return piscina.utilization;
    },
    close: () => piscina.destroy(),
  };
}
