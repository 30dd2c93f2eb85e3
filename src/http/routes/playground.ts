// GET /playground: an interactive page that sweeps one element of a loss's prediction and plots
// the loss and its gradient (issue #9). Served by lossd itself, no CDN: the page and the sweep
// hints are embedded strings (src/http/playground/), the script is compiled TypeScript
// (src/http/playground/browser/, built into dist/), uPlot comes from its npm package. Hidden
// from the OpenAPI document; open like /docs (only /v1/* is protected).

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { EXAMPLES_MODULE } from '../playground/examples.js';
import { PLAYGROUND_CSS, PLAYGROUND_HTML } from '../playground/page.js';
import { sendProblem } from '../problem.js';

/** Everything the page loads comes from here; its scripts call the API on the same origin. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

function uplotFile(file: string): string {
  return readFileSync(createRequire(import.meta.url).resolve(`uplot/dist/${file}`), 'utf8');
}

/**
 * Where `npm run build` writes the compiled browser script: beside this module's own build
 * (dist/src/http/...), or, when this module runs from src/ (tests, tsx), in dist/ of the same
 * checkout.
 */
const SCRIPT_PLACES = [
  new URL('../playground/browser/playground.js', import.meta.url),
  new URL('../../../dist/src/http/playground/browser/playground.js', import.meta.url),
];

let script: string | undefined;
/** The compiled script, read once; undefined while it is not built. */
function playgroundScript(): string | undefined {
  if (script === undefined) {
    const place = SCRIPT_PLACES.find((p) => existsSync(p));
    if (place !== undefined) script = readFileSync(place, 'utf8');
  }
  return script;
}

export function playgroundRoutes(app: FastifyInstance): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const files: ReadonlyArray<readonly [path: string, type: string, body: () => string | undefined]> = [
    ['/playground', 'text/html; charset=utf-8', () => PLAYGROUND_HTML],
    ['/playground/assets/playground.js', JS, playgroundScript],
    ['/playground/assets/examples.js', JS, () => EXAMPLES_MODULE],
    ['/playground/assets/playground.css', CSS, () => PLAYGROUND_CSS],
    ['/playground/assets/uPlot.iife.min.js', JS, () => uplotFile('uPlot.iife.min.js')],
    ['/playground/assets/uPlot.min.css', CSS, () => uplotFile('uPlot.min.css')],
  ];
  for (const [path, type, body] of files) {
    typed.get(path, {
      schema: { hide: true },
      handler: async (_request, reply) => {
        const text = body();
        if (text === undefined) {
          const detail = 'the playground script is not built (npm run build)';
          return sendProblem(reply, { code: 'LOSSD_INTERNAL', detail, errors: [{ path: '', message: detail }] });
        }
        return reply
          .type(type)
          .header('content-security-policy', CSP)
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'no-cache')
          .send(text);
      },
    });
  }
}
