// Worker thread entry: parse → validate → decode → kernel → encode, all off the event loop.
// Dispatches by loss name through the same registry as the HTTP side, and always returns a
// value: a thrown error would lose its fields crossing the boundary.

import Piscina from 'piscina';
import { failure } from '../errors.js';
import { runLoss } from '../pipeline/run-loss.js';
import { findLoss } from '../registry/index.js';
import type { LossTask, Reply, Task } from './protocol.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Hands `value` back with `body`'s buffer transferred rather than copied. */
class Transfer {
  constructor(
    private readonly value: Reply,
    private readonly buffers: ArrayBuffer[],
  ) {}
  get [Piscina.transferableSymbol]() {
    return this.buffers;
  }
  get [Piscina.valueSymbol]() {
    return this.value;
  }
}

function parseBody(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; message: string } {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { ok: false, message: 'the body is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/** JSON text → bytes in a fresh (never pooled) buffer that can be transferred. */
function utf8(json: string): Uint8Array {
  const out = Buffer.allocUnsafeSlow(Buffer.byteLength(json));
  out.write(json);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function runLossTask(task: LossTask): Reply | Transfer {
  const loss = findLoss(task.loss);
  if (loss === undefined) return failure('LOSSD_UNKNOWN_LOSS', `no loss named "${task.loss}"`);
  let body: unknown = task.body;
  if (task.raw) {
    const parsed = parseBody(task.body as Uint8Array);
    if (!parsed.ok) return failure('LOSSD_MALFORMED_JSON', `the body is not valid JSON: ${parsed.message}`, [{ path: '', message: parsed.message }]);
    body = parsed.value;
  }
  const out = runLoss(loss, body, { maxElements: task.maxElements });
  if (!out.ok) return out;
  const bytes = utf8(out.json);
  const reply: Reply = { ok: true, body: bytes, loss: out.loss, elements: out.elements, kernelMs: out.kernelMs };
  return Piscina.move(new Transfer(reply, [bytes.buffer as ArrayBuffer])) as unknown as Transfer;
}

export default function handle(task: Task): Reply | Transfer | true {
  if (task.kind === 'ping') return true;
  try {
    return runLossTask(task);
  } catch (e) {
    // A fault of lossd itself, never of the request: report it as a value.
    return failure('LOSSD_INTERNAL', `internal error in ${task.loss}: ${(e as Error)?.message ?? String(e)}`);
  }
}
