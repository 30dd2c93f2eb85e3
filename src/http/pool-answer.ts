// The answer of a route whose work is one pool task (a loss, a batch): the task's response
// bytes as JSON, or its failure as a problem; and what it computed, for the request's log line.

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
  return reply
    .type('application/json')
    .send(Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength));
}
