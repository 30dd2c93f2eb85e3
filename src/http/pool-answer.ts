// The answer of a route whose work is one pool task (a loss, a batch): the task's response
// bytes as JSON, or its failure as a problem; and what it computed, for the request's log line.

import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LossPool } from '../pool/pool.js';
import type { BatchTask, LossTask } from '../pool/protocol.js';
import { sendProblem } from './problem.js';

export async function answerFromPool(
  pool: LossPool,
  task: LossTask | BatchTask,
  timeoutMs: number,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const started = performance.now();
  const result = await pool.run(task, timeoutMs);
  request.lossd = {
    loss: task.kind === 'batch' ? 'batch' : task.loss,
    elements: result.ok ? result.elements : 0,
    kernelMs: result.ok ? result.kernelMs : 0,
    totalMs: performance.now() - started,
  };
  if (!result.ok) return sendProblem(reply, result);
  // (the handler returns this reply: an async handler that has sent and resolves to undefined
  // makes Fastify answer twice)
  return sendBytes(reply.type('application/json'), result.body, result.parts);
}

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * Sends the bytes a worker handed back, never copied: `body` alone, or followed by `parts` in
 * order (a large response two workers wrote, a v2 answer's binary outputs) with their length.
 */
export function sendBytes(reply: FastifyReply, body: Uint8Array, parts?: readonly Uint8Array[]): FastifyReply {
  if (parts === undefined) return reply.send(asBuffer(body));
  const chunks = [body, ...parts].map(asBuffer);
  return reply
    .header('content-length', String(chunks.reduce((n, c) => n + c.length, 0)))
    .send(Readable.from(chunks, { objectMode: false }));
}
