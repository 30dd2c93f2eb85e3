// Response declarations shared by routes: every error a route can answer, documented as
// application/problem+json with the shared Problem schema.

import { problemSchema } from '../contract/schemas.js';
import { PROBLEMS } from '../errors.js';

function statusText(status: number): string {
  const titles = [
    ...new Set(
      Object.values(PROBLEMS)
        .filter((p) => p.status === status)
        .map((p) => p.title.toLowerCase()),
    ),
  ];
  return titles.join(', ');
}

function problem(status: number) {
  const text = statusText(status);
  return {
    description: `Problem: ${text.charAt(0).toUpperCase()}${text.slice(1)}.`,
    content: { 'application/problem+json': { schema: problemSchema } },
  };
}

/** The error responses of a route that takes a JSON body and may queue work. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, problem(s)]));
}

export const BODY_ROUTE_ERRORS = [400, 401, 404, 413, 415, 429, 503] as const;

/** A 200 response with a description (a bare schema would be documented as "Default Response"). */
export function ok<T>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
