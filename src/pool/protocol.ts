// What crosses the thread boundary between the HTTP side and the workers: plain values only.
// Failures are values too (structured clone drops an Error's custom fields).

import type { Failure } from '../errors.js';

/** A loss request: the raw body bytes (transferred, not copied) or an already parsed body. */
export interface LossTask {
  readonly kind: 'loss';
  /** Canonical loss name. */
  readonly loss: string;
  /** UTF-8 JSON bytes of the body, or the parsed body of a batch item. */
  readonly body: Uint8Array | unknown;
  readonly raw: boolean;
  readonly maxElements: number;
}

/** Answers true: proves a worker is alive and taking tasks (/readyz). */
export interface PingTask {
  readonly kind: 'ping';
}

export type Task = LossTask | PingTask;

export interface LossReply {
  readonly ok: true;
  /** UTF-8 JSON of the response body, in its own ArrayBuffer (transferred back). */
  readonly body: Uint8Array;
  readonly loss: string;
  readonly elements: number;
  readonly kernelMs: number;
}

export type Reply = LossReply | Failure;
