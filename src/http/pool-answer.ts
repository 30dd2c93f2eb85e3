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
  const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  const body = asBuffer(result.body);
  if (result.parts === undefined) return reply.type('application/json').send(body);
  // a large response two workers wrote: its chunks in order, none copied into another
  const chunks = [body, ...result.parts.map(asBuffer)];
  return reply
    .type('application/json')
    .header('content-length', String(chunks.reduce((n, c) => n + c.length, 0)))
    .send(Readable.from(chunks, { objectMode: false }));
}
