// The OpenAPI 3.1 document, generated from the same Zod schemas that validate requests
// (@fastify/swagger + fastify-type-provider-zod), with the few touches client generators need:
// one component per shared schema (no X / XInput twins), per-argument descriptions next to
// the shared Tensor reference, every error response as application/problem+json, a declared
// security scheme and a server entry.

import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { pascalCase } from '../contract/envelope.js';
import { schemaRegistry, TENSOR_COMPONENTS } from '../contract/schemas.js';
import { PROBLEMS } from '../errors.js';
import { LOSSES } from '../registry/index.js';
import { documentNdjsonBatch } from './ndjson/openapi.js';
import { errorResponses } from './responses.js';

export const API_VERSION = '1.0.0';

/** Stamped in `info`, so that whoever opens openapi/openapi.json knows where it comes from. */
export const GENERATED_BY = 'openapi/generate.ts — do not edit; run npm run openapi';

const problemTable = Object.entries(PROBLEMS)
  .map(([code, p]) => `| \`/problems/${p.slug}\` | ${p.status} | \`${code}\` | ${p.explanation} |`)
  .join('\n');

const description = `PyTorch's loss functions and their gradients over HTTP.

\`POST /v1/losses/{name}\` computes \`torch.nn.functional.{name}\` with PyTorch 1.13's semantics (same
argument names, defaults, shape rules and reductions) and the gradients of the result with respect
to its tensor arguments. Tensors are written as nested arrays, \`{shape, data}\` or
\`{shape, dtype, b64}\`, mixed freely. Values match PyTorch (float64) to a relative 1e-9.

## Request compression

A body may be sent compressed, with \`content-encoding: gzip\` (or \`deflate\`, \`br\`): large
nested-JSON tensors shrink 2–3×, which is the way to send them over a slow link. The limit on
body size (\`LOSSD_BODY_LIMIT\`) holds for the decoded body too (413 past it). Any other coding,
or a chain of codings, is a 415; a body that is not what its header says is a 400. An NDJSON stream
(\`POST /v1/batch\`, \`application/x-ndjson\`) is decoded as it arrives, the limit holding for each
decoded line (413 lines); a body that stops decoding ends the stream with a last 400 line.

## Errors

Every error is \`application/problem+json\` (RFC 9457) with \`type\`, \`title\`, \`status\`, \`detail\`,
\`code\` and \`errors: [{path, message}]\`, each \`path\` a JSON Pointer into the request.
A problem body is at most 8 KiB whatever the request held: long keys, names and values are cut
with "…", at most 32 errors are listed, and \`errors_omitted\` counts the rest.

| type | status | code | meaning |
|---|---|---|---|
${problemTable}
`;

type Json = Record<string, unknown>;

/** Every `#/components/schemas/X` reachable from `root`. */
function referenced(root: unknown, schemas: Record<string, unknown>): Set<string> {
  const seen = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string' && x.startsWith('#/components/schemas/')) {
        const name = x.slice('#/components/schemas/'.length);
        if (!seen.has(name)) {
          seen.add(name);
          visit(schemas[name]);
        }
      } else visit(x);
    }
  };
  visit(root);
  return seen;
}

/**
 * fastify-type-provider-zod emits each registered schema twice (as used in requests, `XInput`,
 * and in responses, `X`). Keep the ones the document uses, under their plain names.
 */
function tidyComponents(doc: Json): Json {
  const components = (doc.components ?? {}) as Json;
  const schemas = (components.schemas ?? {}) as Record<string, unknown>;
  const used = referenced({ paths: doc.paths, other: { ...components, schemas: undefined } }, schemas);
  const rename = new Map<string, string>();
  for (const name of used) {
    if (name.endsWith('Input')) {
      const plain = name.slice(0, -'Input'.length);
      const same = JSON.stringify(schemas[plain]) === JSON.stringify(schemas[name]);
      if (!used.has(plain) || same) rename.set(name, plain);
    }
  }
  const text = JSON.stringify(doc, (_k, v) =>
    typeof v === 'string' && v.startsWith('#/components/schemas/') && rename.has(v.slice(21))
      ? `#/components/schemas/${rename.get(v.slice(21))}`
      : v,
  );
  const out = JSON.parse(text) as Json;
  const outSchemas = ((out.components as Json).schemas ?? {}) as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  const finalUsed = referenced({ paths: out.paths }, outSchemas);
  const renamedTo = new Set(rename.values());
  for (const name of Object.keys(outSchemas).sort()) {
    const target = rename.get(name) ?? name;
    if (!finalUsed.has(target)) continue;
    // a renamed input twin replaces the output schema of the same plain name
    if (rename.has(name) || !renamedTo.has(name)) kept[target] = outSchemas[name];
  }
  (out.components as Json).schemas = kept;
  return out;
}

/** Adds each tensor argument's own description beside its shared Tensor reference. */
function describeArguments(doc: Json): Json {
  const schemas = (doc.components as Json).schemas as Record<string, Json>;
  for (const loss of LOSSES) {
    const props = schemas[`${pascalCase(loss.name)}Request`]?.properties as Record<string, Json> | undefined;
    if (!props) continue;
    for (const arg of loss.args) {
      const p = props[arg.name];
      if (p) p.description = `${arg.description}${arg.kind === 'int' ? ' Integer values.' : ''}`;
    }
  }
  return doc;
}

/** `GET /readyz` → `getReadyz`, `GET /v1/losses/:name` → `getV1LossesName`. */
function operationIdFor(method: string, url: string): string {
  const words = url.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** What a route schema looks like to the transform (the rest passes through untouched). */
interface RouteSchema {
  operationId?: string;
  hide?: boolean;
  response?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * Per route, before the Zod schemas become JSON Schema: every operation gets an operationId
 * (client generators name methods after it), and every /v1/ operation documents the 401 and
 * 429 that LOSSD_API_KEY and LOSSD_RATE_LIMIT add to all of them.
 */
function completeRoute(
  method: string | string[],
  url: string,
  schema: RouteSchema | undefined,
): RouteSchema | undefined {
  if (schema === undefined || schema.hide) return schema;
  const verb = Array.isArray(method) ? (method[0] ?? 'get') : method;
  const out: RouteSchema = { ...schema, operationId: schema.operationId ?? operationIdFor(verb, url) };
  if (url.startsWith('/v1/') && schema.response) {
    // integer-like keys: an object lists them by status whatever the insertion order
    out.response = { ...errorResponses(401, 429), ...schema.response };
  }
  return out;
}

/**
 * A request property with a `default` is optional: the server fills it in. openapi-typescript
 * (with its default options) types any component property carrying `default` as required, which
 * would make a client spell out every option of every loss. Moving the property's schema, and
 * its default, one level down into `allOf` keeps the default exactly as JSON Schema means it (an
 * annotation of the same instance) while the property reads as optional in generated types.
 */
function defaultsStayOptional(doc: Json): Json {
  const schemas = (doc.components as Json).schemas as Record<string, Json>;
  for (const loss of LOSSES) {
    const props = schemas[`${pascalCase(loss.name)}Request`]?.properties as Record<string, Json> | undefined;
    if (!props) continue;
    for (const [key, { description, ...schema }] of Object.entries(props)) {
      if (!('default' in schema)) continue;
      props[key] = description === undefined ? { allOf: [schema] } : { description, allOf: [schema] };
    }
  }
  return doc;
}

/** Each loss operation's request example: the descriptor's own (a body that answers 200). */
function requestExamples(doc: Json): Json {
  const paths = doc.paths as Record<string, { post?: { requestBody?: { content?: Record<string, Json> } } }>;
  for (const loss of LOSSES) {
    const media = paths[`/v1/losses/${loss.name}`]?.post?.requestBody?.content?.['application/json'];
    if (media) media.example = loss.example;
  }
  return doc;
}

/**
 * A body declared for application/octet-stream too (the v2 inference request, whose binary
 * tensors follow its JSON header) is, in that media type, bytes: the JSON schema stays on
 * application/json only.
 */
function octetStreamBodies(doc: Json): Json {
  for (const item of Object.values((doc.paths ?? {}) as Record<string, Record<string, Json>>)) {
    for (const op of Object.values(item)) {
      const content = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
      if (content?.['application/octet-stream'] === undefined) continue;
      content['application/octet-stream'] = {
        schema: {
          type: 'string',
          description:
            'The JSON request (application/json schema), then each binary input’s bytes in input order; Inference-Header-Content-Length gives the JSON’s length.',
        },
      };
    }
  }
  return doc;
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const transform = createJsonSchemaTransform({ schemaRegistry, skipList: [] });
  const transformObject = createJsonSchemaTransformObject({ schemaRegistry });
  const info = {
    title: 'lossd',
    version: API_VERSION,
    description,
    license: { name: 'MIT', identifier: 'MIT' },
    // the committed openapi/openapi.json is this very document (test/openapi checks it)
    'x-generated-by': GENERATED_BY,
  };
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info,
      servers: [{ url: '/', description: 'this server' }],
      tags: [
        { name: 'losses', description: 'Compute a loss and its gradients.' },
        { name: 'discovery', description: 'What the service computes.' },
        { name: 'operations', description: 'Health, readiness, the API document.' },
        {
          name: 'v2',
          description:
            'The Open Inference Protocol v2 (KServe’s V2 protocol, Triton’s HTTP/REST API) with the binary tensor data extension: every loss (and alias) is a model of that name.',
        },
      ],
      components: {
        schemas: TENSOR_COMPONENTS,
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'Required only when the server sets LOSSD_API_KEY.',
          },
        },
      },
      security: [{}, { bearerAuth: [] }],
    },
    transform: (input) =>
      transform({
        ...input,
        schema: completeRoute(input.route.method, input.url, input.schema as RouteSchema) as never,
      }),
    transformObject: (input) =>
      documentNdjsonBatch(
        octetStreamBodies(
          requestExamples(defaultsStayOptional(describeArguments(tidyComponents(transformObject(input) as Json)))),
        ),
      ) as never,
  });
}
