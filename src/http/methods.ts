// Which methods a path takes, from the routes as they are registered: a request whose path
// exists with other methods is a 405 with an allow header, not a 404 (RFC 9110 15.5.6).

import type { FastifyInstance } from 'fastify';

interface Known {
  readonly pattern: RegExp;
  readonly methods: Set<string>;
}

/** A route URL (find-my-way syntax: `:param`, a trailing `*`) as a regular expression. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

/**
 * Records every route `app` registers from now on (call it before any route), and returns
 * the methods a path takes (HEAD wherever GET is), sorted; none for a path no route has.
 */
export function trackRoutes(app: FastifyInstance): (path: string) => string[] {
  const known = new Map<string, Known>();
  app.addHook('onRoute', (route) => {
    const entry = known.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>() };
    for (const m of [route.method].flat()) entry.methods.add(m);
    if (entry.methods.has('GET')) entry.methods.add('HEAD');
    known.set(route.url, entry);
  });
  return (path) => {
    const methods = new Set<string>();
    for (const { pattern, methods: ms } of known.values()) if (pattern.test(path)) for (const m of ms) methods.add(m);
    return [...methods].sort();
  };
}
