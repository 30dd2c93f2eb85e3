// Worker thread entry: hands each task's bytes to the pipeline (parse → validate → decode →
// kernel → encode, src/pipeline/), off the event loop, and the response bytes back. Dispatches
// by loss name through the same registry as the HTTP side, and always returns a value: a
// thrown error would lose its fields crossing the boundary.

import { setPriority } from 'node:os';
import { isMainThread, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import Piscina from 'piscina';
import { type Helper, JsonWriter, maxTensorBytes, writeTensorPart } from '../codec/encode.js';
import { type Failure, failure } from '../errors.js';
import { withBody } from '../pipeline/parse-body.js';
import { runBatch } from '../pipeline/run-batch.js';
import { runLoss } from '../pipeline/run-loss.js';
import { runStreamGroup } from '../pipeline/run-stream.js';
import { runInfer } from '../pipeline/run-v2.js';
import { findLoss } from '../registry/index.js';
import type {
  BatchTask,
  EncodeTask,
  HelpAnswer,
  HelpRequest,
  InferTask,
  LossTask,
  Reply,
  StreamReply,
  StreamTask,
  Task,
} from './protocol.js';

// Workers yield the CPU to the main thread: under Linux the nice value belongs to the thread
// (setpriority on the calling thread, which is what os.setPriority without a pid does), so
// this lowers only this worker's priority (elsewhere it would lower the whole process's: not
// done there). An idle core is still all theirs; but when the event
// loop (and V8's collector on it) needs to run, it runs now rather than a time slice later.
// Measured in bench/http/event-loop.bench.ts: /healthz p99 under load (README section).
const WORKER_NICE = 10;
if (!isMainThread && process.platform === 'linux') {
  try {
    setPriority(WORKER_NICE);
  } catch {
    // not permitted, or not supported: run at the process's priority
  }
}

/** Hands `value` back with `body`'s buffer transferred rather than copied. */
class Transfer {
  constructor(
    private readonly value: Reply | StreamReply,
    private readonly buffers: ArrayBuffer[],
  ) {}
  get [Piscina.transferableSymbol]() {
    return this.buffers;
  }
  get [Piscina.valueSymbol]() {
    return this.value;
  }
}

/**
 * One loss or batch task to its reply: the whole pipeline, in whichever thread calls it.
 * Never throws.
 */
export function runTask(task: LossTask | BatchTask | InferTask): Reply {
  const name = task.kind === 'batch' ? 'batch' : task.loss;
  try {
    if (task.kind === 'infer') return inferTask(task);
    let out: ReturnType<typeof runLoss> | ReturnType<typeof runBatch>;
    if (task.kind === 'batch') {
      const limits = { maxItems: task.maxItems, maxElements: task.maxElements };
      out = withBody(task.body, (value, cuts) => runBatch(value, limits, cuts));
    } else {
      const loss = findLoss(task.loss);
      if (loss === undefined) return failure('LOSSD_UNKNOWN_LOSS', `no loss named "${task.loss}"`);
      const limits = { maxElements: task.maxElements };
      const helper = task.helper === undefined ? undefined : helperOn(task.helper);
      // a loss request's large numeric arrays are read from the body's bytes as well
      out = withBody(task.body, (value, cuts) => runLoss(loss, value, limits, { cuts, helper }), {
        arrays: { maxValues: task.maxElements },
        settled: (o) => o.ok,
      });
    }
    if (!out.ok) return out;
    // the body's bytes (and any parts another worker wrote) are in buffers of their own (never
    // pooled): transferable
    const parts = 'parts' in out ? out.parts : undefined;
    return {
      ok: true,
      body: out.body,
      loss: name,
      elements: out.elements,
      kernelMs: out.kernelMs,
      ...(parts ? { parts } : {}),
    };
  } catch (e) {
    // A fault of lossd itself, never of the request: report it as a value.
    return failure('LOSSD_INTERNAL', `internal error in ${name}: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** A v2 inference request: the same pipeline steps as a loss request, in the v2 envelope. */
function inferTask(task: InferTask): Reply {
  const loss = findLoss(task.loss);
  if (loss === undefined) return failure('LOSSD_UNKNOWN_LOSS', `no model named "${task.model}"`);
  const out = runInfer(loss, task.model, task.body, task.headerLength, { maxElements: task.maxElements });
  if (!out.ok) return out;
  const { body, elements, kernelMs, parts } = out;
  return { ok: true, body, loss: loss.name, elements, kernelMs, ...(parts === undefined ? {} : { parts }) };
}

/** Tensors this large are shared with a free worker (half each), when the pool offers one. */
const HELP_MIN_ELEMENTS = 1 << 18;
/** How long to wait for the other half before writing it here after all. */
const HELP_WAIT_MS = 10_000;

/**
 * A Helper (src/codec/encode.ts) that asks the pool, through `port`, for another worker to
 * write part of a tensor: the part's values are copied into a SharedArrayBuffer, the request
 * posted, and the answer (its bytes, transferred) received synchronously once the pool has set
 * the flag. Whatever happens (no free worker, no answer in time), the part gets written: by
 * this thread if not by the other, into the same bytes.
 */
function helperOn(port: MessagePort): Helper {
  return {
    minElements: HELP_MIN_ELEMENTS,
    start(data, shape, encoding, from, to) {
      const flat = encoding === 'flat' || shape.length === 1;
      const inner = flat ? 1 : data.length / (shape[0] as number);
      const part =
        data instanceof Float32Array
          ? new Float32Array(new SharedArrayBuffer((to - from) * inner * 4))
          : new Float64Array(new SharedArrayBuffer((to - from) * inner * 8));
      part.set(data.subarray(from * inner, to * inner));
      const partShape = flat ? [part.length] : [to - from, ...shape.slice(1)];
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const request: HelpRequest = {
        task: { kind: 'encode', data: part, shape: partShape, encoding, from: 0, to: to - from },
        flag,
      };
      port.postMessage(request);
      return () => {
        Atomics.wait(flag, 0, 0, HELP_WAIT_MS);
        const answer = receiveMessageOnPort(port)?.message as HelpAnswer | undefined;
        return answer?.bytes ?? null;
      };
    },
  };
}

/** Another worker's request: part of a tensor, as JSON bytes (transferred back). */
function encodePart(task: EncodeTask): Uint8Array {
  const out = new JsonWriter(maxTensorBytes(task.data.length, task.shape.length, task.encoding));
  writeTensorPart(out, task.data, task.shape, task.encoding, task.from, task.to);
  return out.bytes();
}

/** A group of stream lines to their answer lines; never throws. */
export function runStreamTask(task: StreamTask): StreamReply | Failure {
  try {
    return runStreamGroup(task.body, task.maxElements);
  } catch (e) {
    return failure('LOSSD_INTERNAL', `internal error in a stream: ${(e as Error)?.message ?? String(e)}`);
  }
}

export default function handle(task: Task): Reply | StreamReply | Transfer | Uint8Array | true {
  if (task.kind === 'ping') return true;
  if (task.kind === 'stream') {
    const reply = runStreamTask(task);
    if (!reply.ok) return reply;
    return Piscina.move(new Transfer(reply, [reply.body.buffer as ArrayBuffer])) as unknown as Transfer;
  }
  if (task.kind === 'encode') return Piscina.move(encodePart(task)) as unknown as Uint8Array;
  const reply = runTask(task);
  if (!reply.ok) return reply;
  // the reply's bytes (and an inference's binary outputs) move back to the main thread rather
  // than being copied; a buffer is listed once however many parts it backs
  const buffers = new Set([reply.body.buffer, ...(reply.parts ?? []).map((p) => p.buffer)]);
  return Piscina.move(new Transfer(reply, [...buffers] as ArrayBuffer[])) as unknown as Transfer;
}
