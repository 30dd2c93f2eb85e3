// The OpenAPI document as clients receive it: the committed openapi/openapi.json is exactly what
// the server serves (drift), it is a valid OpenAPI 3.1 document (swagger-parser) that Redocly's
// recommended rules pass without a warning, and it has the shape client generators need: one
// typed operation and request component per loss, one Tensor component, every error a Problem.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE, serialize } from '../../openapi/generate.js';
import { pascalCase } from '../../src/contract/envelope.js';
import { LOSSES } from '../../src/registry/index.js';
import { type RunningServer, request, startServer } from '../helpers/server.js';

type Json = Record<string, unknown>;
type Operation = { operationId?: string; requestBody?: Json; responses: Record<string, Json> };

const STALE = 'openapi/openapi.json is not what the server serves: run `npm run openapi` and commit the result';
const STAMP = 'openapi/generate.ts — do not edit; run npm run openapi';
const ROOT = new URL('../../', import.meta.url);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

let server: RunningServer;
let committedText: string;
let committed: Json;
let served: Json;

beforeAll(async () => {
  server = await startServer({ workers: 1 });
  committedText = await readFile(OPENAPI_FILE, 'utf8');
  committed = JSON.parse(committedText) as Json;
  const answer = await request(`${server.url}/openapi.json`);
  expect(answer.status).toBe(200);
  served = answer.body as Json;
});
afterAll(async () => {
  await server?.close();
});

/** JSON Pointers where `a` and `b` differ (at most `limit`), for a readable drift message. */
function differences(a: unknown, b: unknown, at = '', out: string[] = [], limit = 20): string[] {
  if (out.length >= limit) return out;
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || a === null || b === null) {
    if (a !== b) out.push(at || '/');
    return out;
  }
  if (typeof a !== 'object') {
    if (a !== b) out.push(at || '/');
    return out;
  }
  const x = a as Json;
  const y = b as Json;
  for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
    const here = `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (!(key in x)) out.push(`${here} (only served)`);
    else if (!(key in y)) out.push(`${here} (only committed)`);
    else differences(x[key], y[key], here, out, limit);
    if (out.length >= limit) break;
  }
  return out;
}

function operations(doc: Json): Array<[string, string, Operation]> {
  const out: Array<[string, string, Operation]> = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const method of METHODS) if (item[method]) out.push([path, method, item[method] as Operation]);
  }
  return out;
}

/** Every object in `value`, with its JSON Pointer. */
function* objects(value: unknown, at = ''): Generator<[string, Json]> {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* objects(v, `${at}/${i}`);
  } else if (value !== null && typeof value === 'object') {
    yield [at, value as Json];
    for (const [k, v] of Object.entries(value))
      yield* objects(v, `${at}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`);
  }
}

describe('the committed document is the served document', () => {
  it('openapi/openapi.json deep-equals GET /openapi.json', () => {
    expect(differences(committed, served), `${STALE}; differing JSON Pointers:`).toEqual([]);
    expect(committed, STALE).toStrictEqual(served);
  });

  it('is written as openapi/generate.ts writes it (sorted keys, two spaces, final newline)', () => {
    expect(committedText === serialize(served), STALE).toBe(true);
  });

  it('says where it comes from', () => {
    expect((served.info as Json)['x-generated-by']).toBe(STAMP);
  });
});

describe('the document is valid', () => {
  it('validates as OpenAPI 3.1 with @apidevtools/swagger-parser', async () => {
    const api = await SwaggerParser.validate(structuredClone(served) as never);
    expect((api as { openapi?: string }).openapi).toBe('3.1.0');
  });

  it('swagger-parser does reject a broken document (the check above can fail)', async () => {
    const broken = structuredClone(served) as Json;
    const paths = broken.paths as Record<string, Record<string, Operation>>;
    const post = paths['/v1/losses/mse_loss']?.post as Operation;
    post.requestBody = { content: { 'application/json': { schema: ref('NoSuchComponent') } } };
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow(/NoSuchComponent/);
  });

  it('passes `redocly lint` (redocly.yaml) with no error and no warning', async () => {
    const bin = new URL('node_modules/.bin/redocly', ROOT).pathname;
    const { stdout } = await promisify(execFile)(bin, ['lint', 'openapi/openapi.json', '--format=json'], {
      cwd: ROOT.pathname,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: unknown[] };
    expect(report.problems, 'npm run lint:openapi reports problems').toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});

describe('the document has the shape client generators need', () => {
  it('every canonical loss has its own POST operation and its own request component', () => {
    const schemas = (served.components as Json).schemas as Json;
    const paths = served.paths as Record<string, Json>;
    const requestComponents = new Set<string>();
    for (const loss of LOSSES) {
      const op = paths[`/v1/losses/${loss.name}`]?.post as Operation | undefined;
      expect(op, `POST /v1/losses/${loss.name}`).toBeDefined();
      expect(op?.operationId).toBe(loss.name);
      const component = `${pascalCase(loss.name)}Request`;
      // with the descriptor's example, a body that answers 200 (test/conformance.test.ts)
      expect(op?.requestBody).toEqual({
        content: { 'application/json': { schema: ref(component), example: loss.example } },
        required: true,
      });
      expect(schemas[component], component).toBeDefined();
      requestComponents.add(component);
      const props = (schemas[component] as Json).properties as Record<string, Json>;
      for (const arg of loss.args) {
        expect(props[arg.name]?.$ref, `${component}.${arg.name}`).toBe(ref('Tensor').$ref);
      }
      expect((schemas[component] as Json).required).toEqual(loss.args.filter((a) => a.required).map((a) => a.name));
      for (const alias of loss.aliases)
        expect(paths[`/v1/losses/${alias}`], `alias ${alias} is not a second operation`).toBeUndefined();
    }
    expect(requestComponents.size).toBe(LOSSES.length);
  });

  it('every operation has a unique operationId', () => {
    const ids = operations(served).map(
      ([path, method, op]) => op.operationId ?? `${method.toUpperCase()} ${path} has none`,
    );
    expect(ids.filter((id) => id.includes(' has none'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every documented error response is application/problem+json with the Problem schema', () => {
    let errors = 0;
    for (const [path, method, op] of operations(served)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (/^[1-3]/.test(status)) continue;
        errors++;
        // under /v2, the Problem with the Open Inference Protocol's error member
        expect(response.content, `${method.toUpperCase()} ${path} ${status}`).toEqual({
          'application/problem+json': { schema: ref(path.startsWith('/v2') ? 'V2Error' : 'Problem') },
        });
        expect(typeof response.description).toBe('string');
      }
      if (path.startsWith('/v1/') || path.startsWith('/v2/models/')) {
        expect(Object.keys(op.responses), `${method.toUpperCase()} ${path}`).toEqual(
          expect.arrayContaining(['401', '429']),
        );
      }
    }
    expect(errors).toBeGreaterThan(LOSSES.length);
    const problem = ((served.components as Json).schemas as Json).Problem as Json;
    expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'errors']));
  });

  it('has no XInput twin components', () => {
    const names = Object.keys((served.components as Json).schemas as Json);
    expect(names.filter((n) => n.endsWith('Input'))).toEqual([]);
  });

  it('describes the tensor forms once, as the Tensor component', () => {
    const schemas = (served.components as Json).schemas as Json;
    expect((schemas.Tensor as Json).anyOf).toEqual([
      ref('Scalar'),
      ref('NestedTensor'),
      ref('FlatTensor'),
      ref('B64Tensor'),
    ]);
    const home: Record<string, string> = {
      b64: '/components/schemas/B64Tensor',
      data: '/components/schemas/FlatTensor',
    };
    for (const [at, node] of objects(served)) {
      const props = node.properties as Json | undefined;
      // the Open Inference Protocol's tensors ({name, shape, datatype, data}) are its own format
      if (at.startsWith('/components/schemas/V2')) continue;
      if (props !== null && typeof props === 'object') {
        for (const [key, place] of Object.entries(home)) {
          if (key in props && 'shape' in props)
            expect(at, `a ${key} tensor form spelled out outside ${place}`).toBe(place);
        }
      }
      if (typeof node.title === 'string' && /^Rank\d+Array$/.test(node.title)) {
        expect(at.startsWith('/components/schemas/NestedTensor/'), `${node.title} outside NestedTensor`).toBe(true);
      }
    }
    // every tensor in a response is the same component
    for (const loss of LOSSES) {
      const response = schemas[`${pascalCase(loss.name)}Response`] as Json;
      const grad = ((response.properties as Json).grad as Json).properties as Record<string, Json>;
      for (const g of Object.values(grad)) expect(g).toEqual(ref('Tensor'));
    }
  });
});
