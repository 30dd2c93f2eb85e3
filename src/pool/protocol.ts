// What crosses the thread boundary between the HTTP side and the workers: plain values only.
// Failures are values too (structured clone drops an Error's custom fields).

import type { MessagePort } from 'node:worker_threads';
import type { Failure } from '../errors.js';

/** A loss request: the body's UTF-8 JSON bytes (transferred, not copied). */
export interface LossTask {
  readonly kind: 'loss';
  /** Canonical loss name. */
  readonly loss: string;
  readonly body: Uint8Array;
  readonly maxElements: number;
  /**
   * Given when the pool is otherwise idle and the body is large: the worker may ask, through
   * this port, for another worker to write half of a large response tensor (HelpRequest).
   */
  readonly helper?: MessagePort;
}

/** A /v1/batch request: the raw body bytes (transferred), computed item by item in one worker. */
export interface BatchTask {
  readonly kind: 'batch';
  readonly body: Uint8Array;
  readonly maxItems: number;
  readonly maxElements: number;
}

/**
 * Consecutive lines of an NDJSON stream (POST /v1/batch, application/x-ndjson): each one
 * batch item, LF between them, in one buffer (transferred). Computed line by line in one
 * worker (src/pipeline/run-stream.ts), each line with the limits of a single request.
 */
export interface StreamTask {
  readonly kind: 'stream';
  /** The lines, LF between them. */
  readonly body: Uint8Array;
  readonly maxElements: number;
}

/** A StreamTask's answer lines (transferred back) and what they hold. */
export interface StreamReply {
  readonly ok: true;
  /** One answer line per request line, in order, each ending with LF. */
  readonly body: Uint8Array;
  readonly items: number;
  /** Items by outcome: "ok", or the status of the item's problem. */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly elements: number;
  readonly kernelMs: number;
}

/**
 * An Open Inference Protocol v2 request (POST /v2/models/{model}/infer): the body's bytes, its
 * JSON header and any binary tensors after it, transferred as one buffer.
 */
export interface InferTask {
  readonly kind: 'infer';
  /** Canonical loss name. */
  readonly loss: string;
  /** The model name in the URL (a loss's name or alias), echoed as model_name. */
  readonly model: string;
  readonly body: Uint8Array;
  /** The Inference-Header-Content-Length request header, as sent (checked by the worker). */
  readonly headerLength: string | undefined;
  readonly maxElements: number;
}

/** Worker → pool, on LossTask.helper: please have another worker write this part. */
export interface HelpRequest {
  /** The values (a SharedArrayBuffer's view) and the whole tensor's shape. */
  readonly task: EncodeTask;
  /** Set to 1 (and notified) once the answer has been posted back on the port. */
  readonly flag: Int32Array;
}

/** Pool → worker, on LossTask.helper: the part's bytes, or null when no worker was free. */
export interface HelpAnswer {
  readonly bytes: Uint8Array | null;
}

/** Writes part of a tensor as JSON (src/codec/encode.ts writeTensorPart) for another worker. */
export interface EncodeTask {
  readonly kind: 'encode';
  /** The tensor's values, in a SharedArrayBuffer (read only). */
  readonly data: Float64Array | Float32Array;
  readonly shape: readonly number[];
  readonly encoding: 'nested' | 'flat';
  readonly from: number;
  readonly to: number;
}

/** Answers true: proves a worker is alive and taking tasks (/readyz). */
export interface PingTask {
  readonly kind: 'ping';
}

export type Task = LossTask | BatchTask | InferTask | PingTask | EncodeTask | StreamTask;

export interface LossReply {
  readonly ok: true;
  /** UTF-8 JSON of the response body, in its own ArrayBuffer (transferred back). */
  readonly body: Uint8Array;
  /** The loss computed ('batch' for a batch). */
  readonly loss: string;
  readonly elements: number;
  readonly kernelMs: number;
  /**
   * What follows `body`, in order: an inference reply's binary outputs (after its JSON header),
   * or the rest of a loss response another worker wrote part of; each one's buffer is
   * transferred back too.
   */
  readonly parts?: readonly Uint8Array[];
}

export type Reply = LossReply | Failure;
