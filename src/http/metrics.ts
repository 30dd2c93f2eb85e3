// GET /metrics in Prometheus text format: requests and latency by route, loss and status;
// kernel time and tensor elements by loss; the worker pool's size, utilization and queue;
// rejections by reason; NDJSON streams (items by outcome, durations, the window in flight);
// and the process metrics prom-client collects.

import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { LossPool } from '../pool/pool.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Streams last as long as their datasets: seconds to hours. */
const STREAM_BUCKETS = [0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 14_400];

/** How a stream ended: its input done, its client gone, or stopped by the server (shutdown). */
export type StreamEnd = 'complete' | 'aborted' | 'stopped';

/** What NDJSON streams report (src/http/ndjson/batch-stream.ts). */
export interface StreamMetrics {
  /** A stream started. */
  started(): void;
  /** Answer lines written, by outcome ("ok", or the item's problem status). */
  answered(outcomes: Readonly<Record<string, number>>): void;
  /** The items and bytes held in streams' windows changed by these amounts. */
  window(items: number, bytes: number): void;
  ended(how: StreamEnd, seconds: number): void;
}

export function registerMetrics(app: FastifyInstance, pool: LossPool): StreamMetrics {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'lossd_' });

  const requests = new Counter({
    name: 'lossd_http_requests_total',
    help: 'HTTP requests answered, by route, loss and status.',
    labelNames: ['route', 'loss', 'status'],
    registers: [register],
  });
  const latency = new Histogram({
    name: 'lossd_http_request_duration_seconds',
    help: 'Time from request to response, by route, loss and status.',
    labelNames: ['route', 'loss', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [register],
  });
  const kernel = new Histogram({
    name: 'lossd_kernel_duration_seconds',
    help: 'Time spent in the loss kernel (forward and backward), by loss.',
    labelNames: ['loss'],
    buckets: LATENCY_BUCKETS,
    registers: [register],
  });
  const elements = new Counter({
    name: 'lossd_tensor_elements_total',
    help: 'Tensor elements decoded and computed, by loss.',
    labelNames: ['loss'],
    registers: [register],
  });
  const rejected = new Counter({
    name: 'lossd_rejected_requests_total',
    help: 'Requests answered with a problem, by reason (the problem code).',
    labelNames: ['reason'],
    registers: [register],
  });
  new Gauge({
    name: 'lossd_pool_workers',
    help: 'Worker threads in the pool.',
    registers: [register],
    collect() {
      this.set(pool.size);
    },
  });
  new Gauge({
    name: 'lossd_pool_utilization_ratio',
    help: 'Share of the pool’s time spent running tasks (0..1).',
    registers: [register],
    collect() {
      this.set(pool.utilization);
    },
  });
  new Gauge({
    name: 'lossd_pool_queue_depth',
    help: 'Tasks waiting for a worker.',
    registers: [register],
    collect() {
      this.set(pool.queued);
    },
  });

  const streamItems = new Counter({
    name: 'lossd_stream_items_total',
    help: 'Items answered on NDJSON streams, by outcome ("ok", or the status of the item\'s problem).',
    labelNames: ['outcome'],
    registers: [register],
  });
  const streamDuration = new Histogram({
    name: 'lossd_stream_duration_seconds',
    help: 'NDJSON stream durations, by how they ended (complete, aborted by the client, stopped by the server).',
    labelNames: ['end'],
    buckets: STREAM_BUCKETS,
    registers: [register],
  });
  const window = { streams: 0, items: 0, bytes: 0 };
  new Gauge({
    name: 'lossd_streams_active',
    help: 'NDJSON streams in progress.',
    registers: [register],
    collect() {
      this.set(window.streams);
    },
  });
  new Gauge({
    name: 'lossd_stream_window_items',
    help: 'Stream items in flight: read and not yet answered, summed over streams.',
    registers: [register],
    collect() {
      this.set(window.items);
    },
  });
  new Gauge({
    name: 'lossd_stream_window_bytes',
    help: 'Bytes those items hold (their lines, then their answers), summed over streams.',
    registers: [register],
    collect() {
      this.set(window.bytes);
    },
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    // the problem code is the rejection reason; read it before the body leaves
    if (reply.statusCode >= 400 && typeof payload === 'string' && payload.includes('"code":"LOSSD_')) {
      const reason = /"code":"(LOSSD_[A-Z_]+)"/.exec(payload)?.[1];
      if (reason) rejected.inc({ reason });
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const loss = request.lossd?.loss ?? '';
    const status = String(reply.statusCode);
    requests.inc({ route, loss, status });
    latency.observe({ route, loss, status }, reply.elapsedTime / 1000);
    if (
      request.lossd &&
      reply.statusCode === 200 &&
      request.lossd.loss !== 'batch' &&
      request.lossd.loss !== 'stream'
    ) {
      kernel.observe({ loss }, request.lossd.kernelMs / 1000);
      elements.inc({ loss }, request.lossd.elements);
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(register.contentType);
    return register.metrics();
  });

  return {
    started() {
      window.streams++;
    },
    answered(outcomes) {
      for (const [outcome, n] of Object.entries(outcomes)) streamItems.inc({ outcome }, n);
    },
    window(items, bytes) {
      window.items += items;
      window.bytes += bytes;
    },
    ended(how, seconds) {
      window.streams--;
      streamDuration.observe({ end: how }, seconds);
    },
  };
}
