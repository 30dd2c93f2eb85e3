// Schema compilers. Every schema is Zod (fastify-type-provider-zod validates params, queries
// and the bodies parsed on this thread). A loss request body is parsed in a worker, so its
// route hands Fastify the raw bytes, and the worker enforces the very same Zod schema
// (src/pipeline/run-loss.ts): the route only declares it, for types and OpenAPI.

import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';

const inWorker = new WeakSet<object>();

/** Marks a body schema as enforced by the worker that parses the body. */
export function validatedInWorker(schema: object): void {
  inWorker.add(schema);
}

export const schemaCompiler: FastifySchemaCompiler<unknown> = (route) => {
  if (route.httpPart === 'body' && inWorker.has(route.schema as object)) {
    return (value: unknown) => ({ value });
  }
  return (validatorCompiler as FastifySchemaCompiler<unknown>)(route);
};
