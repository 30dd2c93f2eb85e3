// POST /v1/batch: many losses in one round trip, answered in order; a failing item becomes
// {"error": problem} and never sinks the rest. Like a single loss request, the body stays
// bytes here and goes to one worker, which parses, validates and computes every item
// (src/pipeline/run-batch.ts): a large batch never holds the event loop.
//
// The same route takes application/x-ndjson: one item a line, of any number of lines,
// answered line by line as they are computed (src/http/ndjson/batch-stream.ts). Its body is
// handed over unread, as a stream, by a content-type parser of this route's own scope (the
// other routes keep answering 415 to that media type).

import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../../config.js';
import { batchRequestSchema, batchResponseSchema, batchStreamLineSchema } from '../../contract/batch-envelope.js';
import { failure } from '../../errors.js';
import type { LossPool } from '../../pool/pool.js';
import { codingOf } from '../body-reader.js';
import type { StreamMetrics } from '../metrics.js';
import { BatchStream, NDJSON } from '../ndjson/batch-stream.js';
import { decodedBody } from '../ndjson/decoded-body.js';
import { ownedBytes } from '../owned-bytes.js';
import { answerFromPool } from '../pool-answer.js';
import { BODY_ROUTE_ERRORS, errorResponses } from '../responses.js';
import { validatedInWorker } from '../validation.js';

/** After a stream stopped by the server, how long the client has to read its end before the connection is cut. */
const CLOSE_GRACE_MS = 1000;
/** A stopped stream whose client does not read its last answers is cut after this long (shutdown must end). */
const STOP_GRACE_MS = 5000;

export interface StreamDeps {
  readonly metrics: StreamMetrics;
}

function isNdjson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'] ?? '';
  return type.split(';')[0]?.trim().toLowerCase() === NDJSON;
}

/**
 * Closes the connection once the response has left, unless `keepIfRead` and the request has
 * arrived whole by then (a stream stopped by a body it could not decode: the rest of it was
 * read and dropped, so the connection can carry the client's next request).
 */
function closeAfter(reply: FastifyReply, request: FastifyRequest, keepIfRead: boolean): void {
  // the socket as it is now: once the response has finished, it is no longer the response's
  const socket = reply.raw.socket as Socket | null;
  reply.raw.once('finish', () => {
    if (socket === null || (keepIfRead && request.raw.complete)) return;
    socket.end();
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  });
}

export function batchRoutes(app: FastifyInstance, pool: LossPool, config: Config, stream: StreamDeps): void {
  validatedInWorker(batchRequestSchema);

  // Shutdown: every stream stops reading, answers the lines it has taken in, ends with a
  // last line {"error": problem} and closes its connection (which lets the server close).
  const streams = new Set<BatchStream>();
  app.addHook('preClose', (done) => {
    const problem = failure(
      'LOSSD_SHUTTING_DOWN',
      'the server is shutting down; the lines after the last answer were not read',
    );
    for (const s of streams) {
      s.stop(problem);
      setTimeout(() => s.destroy(), STOP_GRACE_MS).unref();
    }
    done();
  });

  function startStream(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const res = reply.raw;
    const out = new BatchStream({
      pool,
      source: request.body as Readable,
      lineLimit: config.bodyLimit,
      maxElements: config.maxElements,
      timeoutMs: config.requestTimeoutMs,
      metrics: stream.metrics,
      // answers may take a while: the client learns at once that the stream is on
      onStart: () => {
        if (!res.headersSent) res.flushHeaders();
      },
    });
    streams.add(out);
    // the request's log line carries the stream's figures (items, errors, bytes in and out)
    request.lossd = out.summary;
    out.once('end', () => {
      if (out.stoppedBy !== null) closeAfter(reply, request, out.stoppedBy.code !== 'LOSSD_SHUTTING_DOWN');
    });
    out.once('close', () => {
      streams.delete(out);
      // a response cut short gets no onResponse hook, so no request line: this is its line
      if (!res.writableFinished) {
        request.log.info({ method: request.method, url: request.url, aborted: true, ...out.summary }, 'request');
      }
    });
    return reply.type(NDJSON).send(out);
  }

  app.register(async (scope) => {
    // The body goes on unread: BatchStream reads it at its own pace, through a decoder when it
    // is sent with a content-encoding (the codings of every body route, and their 415 before
    // the stream starts).
    scope.addContentTypeParser(NDJSON, (request, payload, done) => {
      const coding = codingOf(request.headers['content-encoding']);
      if (coding instanceof Error) done(coding);
      else done(null, coding === null ? payload : decodedBody(payload, coding));
    });

    scope.withTypeProvider<ZodTypeProvider>().post('/v1/batch', {
      schema: {
        operationId: 'batch',
        summary: 'Many losses in one round trip.',
        description: `Each item is answered in order, as its single request would be, or as {"error": Problem}; the status is 200 even when items fail. At most ${config.maxBatchItems} items (LOSSD_MAX_BATCH_ITEMS) and ${config.maxElements} tensor elements in all (LOSSD_MAX_ELEMENTS); beyond either, the whole batch is a 413.

With \`content-type: ${NDJSON}\` the body is a stream of items, one JSON object a line (BatchItem, the same object as one entry of \`items\`), of any number of lines; the answer is ${NDJSON} too, one line per item in request order (a loss response body, or {"error": Problem} with paths relative to the item), written as items are computed, before the request has ended. LOSSD_MAX_BATCH_ITEMS does not apply; LOSSD_BODY_LIMIT and LOSSD_MAX_ELEMENTS apply to each line. A line that is not JSON (400), over a limit (413) or naming an unknown loss (404) is an error line for that item only. The stream may be sent with a content-encoding (gzip, deflate, br) and is decoded as it arrives, LOSSD_BODY_LIMIT holding for each decoded line; a body that stops decoding (corrupt, truncated) ends the stream with a last line {"error": Problem} (400). Empty lines are ignored; a line may end with CRLF; the last line needs no newline. The status is 200 once the stream starts; a stream the server stops (shutdown) ends with a last line {"error": Problem} (503) and the connection closes. Memory is bounded by the items in flight: a client that stops reading is slowed down through TCP.`,
        tags: ['losses'],
        body: batchRequestSchema,
        response: {
          200: {
            description: `One result per item, in order: {"results": [...]} for a JSON batch, one line per item for an ${NDJSON} stream.`,
            content: {
              'application/json': { schema: batchResponseSchema },
              [NDJSON]: { schema: batchStreamLineSchema },
            },
          },
          ...errorResponses(...BODY_ROUTE_ERRORS),
        },
      },
      handler: async (request, reply) => {
        if (isNdjson(request)) return startStream(request, reply);
        const task = {
          kind: 'batch',
          body: ownedBytes(request.body as unknown as Buffer),
          maxItems: config.maxBatchItems,
          maxElements: config.maxElements,
        } as const;
        await answerFromPool(pool, task, config.requestTimeoutMs, request, reply);
        return reply;
      },
    });
  });
}
