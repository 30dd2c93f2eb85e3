// The NDJSON request of POST /v1/batch in the OpenAPI document. The Zod type provider
// documents one body schema per route, so the second media type is added to the finished
// document: application/x-ndjson, whose schema is that of one line (OpenAPI 3.1 has no
// itemSchema yet; the media type and the schema's description say that the body is a
// sequence of such lines). The answer's two media types are declared on the route itself.

import { NDJSON } from './batch-stream.js';

type Json = Record<string, unknown>;

export function documentNdjsonBatch(doc: Json): Json {
  const operation = ((doc.paths as Json | undefined)?.['/v1/batch'] as Json | undefined)?.post as Json | undefined;
  const content = (operation?.requestBody as Json | undefined)?.content as Json | undefined;
  if (content === undefined) return doc;
  content[NDJSON] = {
    schema: {
      $ref: '#/components/schemas/BatchItem',
      description: 'One line of the body (NDJSON): the body is any number of such lines.',
    },
  };
  return doc;
}
