// The Open Inference Protocol v2 REST API (API.md "Open Inference Protocol v2"): every loss is
// a model of its name (and of each alias). Health, server and model metadata are answered here;
// an inference request only moves bytes, like a v1 loss request: its body (the JSON header and
// any binary tensors after it) goes to a worker as one transferred buffer, with the
// Inference-Header-Content-Length value, and the worker's response bytes come back as they are.
// Every error keeps v1's status and problem body, with the protocol's `error` member added.

import { errorCodes, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config.js';
import {
  MODEL_VERSION,
  modelMetadata,
  V2_EXTENSIONS,
  v2ErrorSchema,
  v2InferenceRequestSchema,
  v2InferenceResponseSchema,
  v2LiveSchema,
  v2ModelMetadataSchema,
  v2ModelReadySchema,
  v2ReadySchema,
  v2ServerMetadataSchema,
} from '../../contract/v2.js';
import type { Failure } from '../../errors.js';
import type { LossPool } from '../../pool/pool.js';
import type { InferTask } from '../../pool/protocol.js';
import { findLoss, knownNames } from '../../registry/index.js';
import type { AnyLossDescriptor } from '../../registry/types.js';
import { readBody } from '../body-reader.js';
import { API_VERSION } from '../openapi.js';
import { ownedBytes } from '../owned-bytes.js';
import { sendBytes } from '../pool-answer.js';
import { PROBLEM_JSON, sendProblem } from '../problem.js';
import { validatedInWorker } from '../validation.js';
import type { Lifecycle } from './ops.js';

const { FST_ERR_CTP_INVALID_MEDIA_TYPE } = errorCodes;

const TAG = 'v2';
const HEADER_LENGTH = 'inference-header-content-length';

/** Each v2 error response, documented: the problem with `error`. */
function errors(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: 'Problem, with the protocol’s error member.',
        content: { [PROBLEM_JSON]: { schema: v2ErrorSchema } },
      },
    ]),
  );
}

const ok = <T>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const modelParams = z.object({
  model: z.string().describe('A loss’s name or alias (GET /v1/losses lists them).'),
});
const versionParams = modelParams.extend({ version: z.string().describe(`The model version: "${MODEL_VERSION}".`) });

function unknownModel(name: string): Omit<Failure, 'ok'> {
  return {
    code: 'LOSSD_UNKNOWN_LOSS',
    detail: `no model named "${name}"; known models: ${knownNames().join(', ')}`,
    errors: [{ path: '', message: `unknown model "${name}"` }],
  };
}

// The model exists, so naming "mse/versions/2" as an unknown model (beside a list holding mse)
// would send the client looking for a typo in the wrong place.
function unknownVersion(name: string, version: string): Omit<Failure, 'ok'> {
  const message = `model "${name}" has no version "${version}" (versions: ${MODEL_VERSION})`;
  return { code: 'LOSSD_UNKNOWN_LOSS', detail: message, errors: [{ path: '', message }] };
}

/** The loss a model path names, or a 404 sent (an unknown name, or a version other than 1). */
function modelOf(params: { model: string; version?: string }, reply: FastifyReply): AnyLossDescriptor | undefined {
  const loss = findLoss(params.model);
  if (loss === undefined) {
    sendProblem(reply, unknownModel(params.model), { known: knownNames() });
    return undefined;
  }
  if (params.version !== undefined && params.version !== MODEL_VERSION) {
    sendProblem(reply, unknownVersion(params.model, params.version), {});
    return undefined;
  }
  return loss;
}

/**
 * Adds the protocol's `error` member to every problem answered under /v2 (route errors, 404s,
 * 401, 413, 415, 429 and 503 alike), beside the RFC 9457 fields.
 */
function addErrorMember(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string' || !request.url.startsWith('/v2')) return payload;
    if (!String(reply.getHeader('content-type') ?? '').startsWith(PROBLEM_JSON)) return payload;
    try {
      const problem = JSON.parse(payload) as Record<string, unknown>;
      return JSON.stringify({ ...problem, error: String(problem.detail ?? problem.title ?? 'error') });
    } catch {
      return payload;
    }
  });
}

export async function v2Routes(
  app: FastifyInstance,
  pool: LossPool,
  config: Config,
  lifecycle: Lifecycle,
): Promise<void> {
  addErrorMember(app);
  await app.register(async (scope) => {
    // The protocol's clients send binary requests as application/octet-stream, or with no
    // content type at all: accepted here, for these routes only (v1 stays JSON-only). So is
    // application/x-www-form-urlencoded, the label `curl -d` and Python's urllib put on a body
    // they were given no content type for: the body's framing is the protocol's own
    // (Inference-Header-Content-Length), whatever the label.
    const read = (
      request: FastifyRequest,
      payload: Parameters<typeof readBody>[0],
      done: Parameters<typeof readBody>[3],
    ) => readBody(payload, request.headers, request.routeOptions.bodyLimit, done);
    scope.addContentTypeParser('application/octet-stream', read);
    scope.addContentTypeParser('application/x-www-form-urlencoded', read);
    scope.addContentTypeParser('*', (request, payload, done) => {
      if (request.headers['content-type'] !== undefined) {
        done(new FST_ERR_CTP_INVALID_MEDIA_TYPE());
        return;
      }
      read(request, payload, done);
    });
    routes(scope, pool, config, lifecycle);
  });
}

function routes(app: FastifyInstance, pool: LossPool, config: Config, lifecycle: Lifecycle): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v2', {
    schema: {
      summary: 'Server metadata: name, version, extensions.',
      tags: [TAG],
      response: { 200: ok(v2ServerMetadataSchema, 'The server.') },
    },
    handler: async () => ({ name: 'lossd', version: API_VERSION, extensions: [...V2_EXTENSIONS] }),
  });

  typed.get('/v2/health/live', {
    schema: {
      summary: 'Server live: the process answers.',
      tags: [TAG],
      response: { 200: ok(v2LiveSchema, 'Alive.') },
    },
    handler: async () => ({ live: true }),
  });

  const notReady = async (reply: FastifyReply): Promise<FastifyReply | null> => {
    if (lifecycle.draining) {
      return sendProblem(reply, { code: 'LOSSD_SHUTTING_DOWN', detail: 'the server is shutting down', errors: [] });
    }
    if (!(await pool.ping(2000))) {
      return sendProblem(reply, { code: 'LOSSD_OVERLOADED', detail: 'no worker answered within 2 s', errors: [] });
    }
    return null;
  };

  typed.get('/v2/health/ready', {
    schema: {
      summary: 'Server ready: the worker pool takes work (every model is then ready).',
      tags: [TAG],
      response: { 200: ok(v2ReadySchema, 'Ready.'), ...errors(503) },
    },
    handler: async (_request, reply) => (await notReady(reply)) ?? { ready: true },
  });

  for (const [suffix, params] of [
    ['', modelParams],
    ['/versions/:version', versionParams],
  ] as const) {
    typed.get(`/v2/models/:model${suffix}`, {
      schema: {
        summary: 'Model metadata: the loss’s inputs (its tensor arguments) and outputs (loss, grad_<argument>).',
        tags: [TAG],
        params,
        response: { 200: ok(v2ModelMetadataSchema, 'The model.'), ...errors(401, 404, 429) },
      },
      handler: async (request, reply) => {
        const loss = modelOf(request.params, reply);
        return loss === undefined ? reply : modelMetadata(loss, request.params.model);
      },
    });

    typed.get(`/v2/models/:model${suffix}/ready`, {
      schema: {
        summary: 'Model ready.',
        tags: [TAG],
        params,
        response: { 200: ok(v2ModelReadySchema, 'Ready.'), ...errors(401, 404, 429, 503) },
      },
      handler: async (request, reply) => {
        const loss = modelOf(request.params, reply);
        if (loss === undefined) return reply;
        return (await notReady(reply)) ?? { name: request.params.model, ready: true };
      },
    });

    validatedInWorker(v2InferenceRequestSchema);
    typed.post(`/v2/models/:model${suffix}/infer`, {
      schema: {
        summary: 'Inference: the loss and its gradients, JSON or binary tensors.',
        description:
          'Computes the loss exactly as POST /v1/losses/{name} does (same checks, kernels, limits), in the Open Inference Protocol v2 envelope, with the binary tensor data extension: inputs with parameters.binary_data_size have their little-endian bytes after the JSON header, whose length is the Inference-Header-Content-Length header; outputs asked for with parameters.binary_data (or binary_data_output in the request parameters) come back the same way (application/octet-stream). The content type may be application/json, application/octet-stream, application/x-www-form-urlencoded (what curl -d and urllib send unasked), or absent.',
        tags: [TAG],
        params,
        headers: z.object({
          [HEADER_LENGTH]: z
            .string()
            .optional()
            .describe('Length in bytes of the JSON header when binary tensors follow it.'),
        }),
        consumes: ['application/json', 'application/octet-stream'],
        body: v2InferenceRequestSchema,
        response: {
          200: {
            description:
              'The outputs asked for: JSON, or (when some are binary) the JSON followed by their bytes, whose JSON length is the Inference-Header-Content-Length response header.',
            content: {
              'application/json': { schema: v2InferenceResponseSchema },
              'application/octet-stream': {
                schema: z
                  .string()
                  .describe('The JSON response, then each binary output’s little-endian bytes in order.'),
              },
            },
          },
          ...errors(400, 401, 404, 413, 415, 429, 503),
        },
      },
      handler: async (request, reply) => {
        const loss = modelOf(request.params, reply);
        if (loss === undefined) return reply;
        const raw = request.headers[HEADER_LENGTH];
        // the bytes as read (the declared schema is the worker's to enforce)
        const body = request.body as unknown;
        const task: InferTask = {
          kind: 'infer',
          loss: loss.name,
          model: request.params.model,
          body: body instanceof Buffer ? ownedBytes(body) : new Uint8Array(0),
          headerLength: Array.isArray(raw) ? raw.join(',') : raw,
          maxElements: config.maxElements,
        };
        const started = performance.now();
        const result = await pool.run(task, config.requestTimeoutMs);
        request.lossd = {
          loss: task.loss,
          elements: result.ok ? result.elements : 0,
          kernelMs: result.ok ? result.kernelMs : 0,
          totalMs: performance.now() - started,
        };
        if (!result.ok) return sendProblem(reply, result);
        const out = reply as FastifyReply;
        if (result.parts === undefined) return sendBytes(out.type('application/json'), result.body);
        // the JSON header, then each binary output's bytes as the worker computed them
        return sendBytes(
          out.type('application/octet-stream').header('inference-header-content-length', String(result.body.length)),
          result.body,
          result.parts,
        );
      },
    });
  }
}
