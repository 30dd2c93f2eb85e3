// Configuration from the environment, parsed once with Zod. A bad value stops the process at
// start-up with a message naming the variable (server.ts), never at the first request.

import { availableParallelism } from 'node:os';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOSSD_WORKERS: positiveInt(availableParallelism()),
  /** Tasks waiting for a worker before new ones are refused with 503. */
  LOSSD_MAX_QUEUE: positiveInt(256),
  /** Request body limit in bytes (64 MiB: a 1024×1000 nested-JSON request is about 20 MB). */
  LOSSD_BODY_LIMIT: positiveInt(64 * 1024 * 1024),
  /** Tensor elements one request (or one whole batch) may hold. */
  LOSSD_MAX_ELEMENTS: positiveInt(16 * 1024 * 1024),
  LOSSD_MAX_BATCH_ITEMS: positiveInt(1024),
  LOSSD_REQUEST_TIMEOUT_MS: positiveInt(30_000),
  /** Heap limit of each worker thread; a body too large to parse within half of it is refused (413). */
  LOSSD_WORKER_HEAP_MB: positiveInt(4096),
  LOSSD_API_KEY: z.string().min(1).optional(),
  LOSSD_RATE_LIMIT: z.coerce.number().int().positive().optional(),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  readonly workers: number;
  readonly maxQueue: number;
  readonly bodyLimit: number;
  readonly maxElements: number;
  readonly maxBatchItems: number;
  readonly requestTimeoutMs: number;
  readonly workerHeapMb: number;
  readonly apiKey: string | undefined;
  readonly rateLimit: number | undefined;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; message: string };

/** Reads the configuration from `env`; empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`,
    );
    return { ok: false, message: `invalid configuration:\n${lines.join('\n')}` };
  }
  const e = parsed.data;
  return {
    ok: true,
    config: {
      port: e.PORT,
      host: e.HOST,
      logLevel: e.LOG_LEVEL,
      workers: e.LOSSD_WORKERS,
      maxQueue: e.LOSSD_MAX_QUEUE,
      bodyLimit: e.LOSSD_BODY_LIMIT,
      maxElements: e.LOSSD_MAX_ELEMENTS,
      maxBatchItems: e.LOSSD_MAX_BATCH_ITEMS,
      requestTimeoutMs: e.LOSSD_REQUEST_TIMEOUT_MS,
      workerHeapMb: e.LOSSD_WORKER_HEAP_MB,
      apiKey: e.LOSSD_API_KEY,
      rateLimit: e.LOSSD_RATE_LIMIT,
    },
  };
}

/** Defaults with overrides, for tests and embedding. */
export function configWith(overrides: Partial<Config> = {}): Config {
  const base = loadConfig({});
  if (!base.ok) throw new Error(base.message);
  return { ...base.config, ...overrides };
}
