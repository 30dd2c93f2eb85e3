// The API document and its human rendering: GET /openapi.json, GET /docs (swagger-ui, served
// from the npm package: no CDN), and GET /problems/{slug}, where every problem `type` resolves.

import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { shown } from '../../bounded-text.js';
import { PROBLEMS } from '../../errors.js';
import { sendProblem } from '../problem.js';
import { errorResponses, ok } from '../responses.js';

export async function docsRoutes(app: FastifyInstance): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/openapi.json', {
    schema: { summary: 'This API as an OpenAPI 3.1 document.', tags: ['operations'], hide: true },
    handler: async () => app.swagger(),
  });

  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // BaseLayout: no top bar. Its logo is an SVG with an inline <style> that the static CSP
    // blocks (a console error in every browser; swagger-ui #10655), and its "Explore" box,
    // which loads any URL, has no use on a service's own docs.
    uiConfig: {
      layout: 'BaseLayout',
      docExpansion: 'list',
      deepLinking: true,
      defaultModelsExpandDepth: 1,
    },
    staticCSP: true,
  });

  const problemInfo = z.object({
    type: z.string(),
    status: z.int(),
    title: z.string(),
    code: z.string(),
    explanation: z.string(),
  });
  typed.get('/problems/:slug', {
    schema: {
      operationId: 'getProblemType',
      summary: 'What a problem type means (every problem `type` URI resolves here).',
      tags: ['operations'],
      params: z.object({ slug: z.string() }),
      response: { 200: ok(problemInfo, 'The problem type.'), ...errorResponses(404) },
    },
    handler: async (request, reply) => {
      const entry = Object.entries(PROBLEMS).find(([, p]) => p.slug === request.params.slug);
      if (!entry)
        return sendProblem(reply, {
          code: 'LOSSD_NOT_FOUND',
          detail: `no problem type ${shown(request.params.slug)}`,
          errors: [],
        });
      const [code, p] = entry;
      return { type: `/problems/${p.slug}`, status: p.status, title: p.title, code, explanation: p.explanation };
    },
  });
}
