// The examples under examples/ run against a real server and print the right numbers: curl.sh,
// python_client.py (standard library only) and typescript/client.ts (openapi-fetch over the
// types openapi-typescript generates), stream_client.py and typescript/stream-client.ts, which
// stream an NDJSON file of items and print the answer lines, and the Open Inference Protocol v2
// clients in v2/ (Python standard library, TypeScript fetch), which send and receive binary
// tensors. The TypeScript examples and the generated types compile, and the committed
// schema.d.ts is what `npm run openapi:client` generates today.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../helpers/server.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ workers: 1 });
});
afterAll(async () => {
  await server?.close();
});

/** Runs a command from the repository root against the test server; fails with its output. */
async function runExample(file: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(file, args, {
      cwd: ROOT,
      env: { ...process.env, LOSSD_URL: server.url, LOSSD_API_KEY: '', NO_COLOR: '1' },
      timeout: 60_000,
    });
    return stdout;
  } catch (e) {
    const { code, stdout, stderr } = e as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} exited with ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
}

// The expected numbers, computed here from the definitions (not asked of the server).
const CE_INPUT = [
  [2.0, 0.5, -1.0],
  [0.1, 0.2, 0.3],
];
const CE_TARGET = [0, 2];

/** F.cross_entropy with class indices and reduction "mean", and its gradient wrt input. */
function crossEntropy(x: number[][], t: number[]): { loss: number; grad: number[][] } {
  let loss = 0;
  const grad = x.map((row, i) => {
    const m = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
    const p = row.map((v) => Math.exp(v - m) / z);
    loss -= Math.log(p[t[i] as number] as number);
    return p.map((pj, j) => (pj - (j === t[i] ? 1 : 0)) / x.length);
  });
  return { loss: loss / x.length, grad };
}
const CE = crossEntropy(CE_INPUT, CE_TARGET);
// F.mse_loss([1, 2, 3], [1, 2, 5]) = 4/3; d/dinput = 2 (x - y) / 3; d/dtarget = its negative
const MSE = { loss: 4 / 3, input: [0, 0, -4 / 3], target: [0, 0, 4 / 3] };

function expectClose(actual: unknown, expected: unknown, what: string): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), what).toBe(true);
    expect((actual as unknown[]).length, what).toBe(expected.length);
    for (const [i, e] of expected.entries()) expectClose((actual as unknown[])[i], e, `${what}[${i}]`);
    return;
  }
  expect(typeof actual, what).toBe('number');
  const a = actual as number;
  const b = expected as number;
  expect(Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b), `${what}: ${a} is not ${b}`).toBe(true);
}

/** Lines `name: loss = <json>` and `name: grad[arg] = <json>`, as the clients print them. */
function parsePrinted(stdout: string): Record<string, { loss?: unknown; grad: Record<string, unknown> }> {
  const out: Record<string, { loss?: unknown; grad: Record<string, unknown> }> = {};
  for (const line of stdout.split('\n')) {
    const m = /^(\w+): (?:loss|grad\[(\w+)\]) = (.+)$/.exec(line.trim());
    if (!m) continue;
    const [, name, arg, json] = m as unknown as [string, string, string | undefined, string];
    out[name] ??= { grad: {} };
    const entry = out[name];
    if (arg === undefined) entry.loss = JSON.parse(json);
    else entry.grad[arg] = JSON.parse(json);
  }
  return out;
}

function expectClientOutput(stdout: string): void {
  const printed = parsePrinted(stdout);
  expect(Object.keys(printed).sort()).toEqual(['cross_entropy', 'mse_loss']);
  expectClose(printed.cross_entropy?.loss, CE.loss, 'cross_entropy loss');
  expectClose(printed.cross_entropy?.grad.input, CE.grad, 'cross_entropy grad[input]');
  expectClose(printed.mse_loss?.loss, MSE.loss, 'mse_loss loss');
  expectClose(printed.mse_loss?.grad.input, MSE.input, 'mse_loss grad[input]');
  expectClose(printed.mse_loss?.grad.target, MSE.target, 'mse_loss grad[target]');
}

/** An NDJSON file of items: the two losses, an unknown one and a malformed line between them. */
async function itemsFile(dir: string): Promise<string> {
  const file = join(dir, 'items.ndjson');
  const lines = [
    JSON.stringify({ loss: 'cross_entropy', input: CE_INPUT, target: CE_TARGET }),
    JSON.stringify({ loss: 'no_such_loss', input: [1] }),
    '',
    JSON.stringify({ loss: 'mse_loss', input: [1, 2, 3], target: [1, 2, 5], grad_wrt: ['input', 'target'] }),
    '{"loss": "mse_loss", "input": [1',
    JSON.stringify({ loss: 'mse', input: [1, 2, 3], target: [1, 2, 5] }),
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** The answer lines a stream client printed, one per item, in order. */
function expectStreamOutput(stdout: string): void {
  const answers = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { loss?: number; grad?: Record<string, unknown>; error?: { status: number } });
  expect(answers.length).toBe(5);
  expectClose(answers[0]?.loss, CE.loss, 'cross_entropy loss');
  expectClose(answers[0]?.grad?.input, CE.grad, 'cross_entropy grad[input]');
  expect(answers[1]?.error?.status).toBe(404);
  expectClose(answers[2]?.loss, MSE.loss, 'mse_loss loss');
  expectClose(answers[2]?.grad?.input, MSE.input, 'mse_loss grad[input]');
  expectClose(answers[2]?.grad?.target, MSE.target, 'mse_loss grad[target]');
  expect(answers[3]?.error?.status).toBe(400);
  expectClose(answers[4]?.loss, MSE.loss, 'mse loss');
}

describe('examples/', () => {
  it('curl.sh: discovery, two losses, an alias and a problem', async () => {
    const stdout = await runExample('bash', ['examples/curl.sh']);
    // each "# METHOD PATH ..." line is followed by the response body, one JSON document per line
    const lines = stdout.split('\n');
    const sections = lines.flatMap((line, i) =>
      line.startsWith('# ') ? [{ header: line, body: JSON.parse(lines[i + 1] ?? '') }] : [],
    );
    const headers = sections.map((s) => s.header.split(' ').slice(1, 3).join(' '));
    expect(headers).toEqual([
      'GET /v1/losses/mse_loss',
      'POST /v1/losses/mse_loss',
      'POST /v1/losses/cross_entropy',
      'POST /v1/losses/mse',
      'POST /v1/losses/mse_loss',
    ]);
    const [discovery, mse, ce, alias, problem] = sections.map((s) => s.body) as [
      { name: string; aliases: string[] },
      { loss: number; grad: { input: number[] } },
      { loss: number; grad: { input: number[][] } },
      unknown,
      { status: number; errors: Array<{ path: string }> },
    ];
    expect(discovery).toMatchObject({ name: 'mse_loss', aliases: ['mse', 'l2'] });
    expectClose(mse.loss, MSE.loss, 'mse_loss loss');
    expectClose(mse.grad.input, MSE.input, 'mse_loss grad[input]');
    expectClose(ce.loss, CE.loss, 'cross_entropy loss');
    expectClose(ce.grad.input, CE.grad, 'cross_entropy grad[input]');
    expect(alias).toEqual({ loss: 4 });
    expect(problem.status).toBe(400);
    expect(problem.errors.map((e) => e.path)).toContain('/reductoin');
  });

  it('python_client.py (urllib only) prints cross_entropy and mse_loss with their gradients', async () => {
    expectClientOutput(await runExample('python3', ['examples/python_client.py']));
  });

  it('typescript/client.ts (openapi-fetch, generated types) prints the same numbers', async () => {
    expectClientOutput(await runExample(bin('tsx'), ['examples/typescript/client.ts']));
  });

  it('stream_client.py (http.client only) streams an NDJSON file and prints one answer per item, in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lossd-stream-'));
    try {
      expectStreamOutput(await runExample('python3', ['examples/stream_client.py', await itemsFile(dir)]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('typescript/stream-client.ts (node:http) streams the same file with the same answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lossd-stream-'));
    try {
      expectStreamOutput(await runExample(bin('tsx'), ['examples/typescript/stream-client.ts', await itemsFile(dir)]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('v2/client.py (urllib only) speaks v2 with binary tensors and prints the same numbers', async () => {
    expectClientOutput(await runExample('python3', ['examples/v2/client.py']));
  });

  it('v2/client.ts (fetch, binary tensors) prints the same numbers and type-checks', async () => {
    expectClientOutput(await runExample(bin('tsx'), ['examples/v2/client.ts']));
    await runExample(bin('tsc'), ['-p', 'examples/v2/tsconfig.json', '--noEmit']);
  });

  it('typescript/client.ts and the generated schema.d.ts type-check', async () => {
    await runExample(bin('tsc'), ['-p', 'examples/typescript/tsconfig.json', '--noEmit']);
  });

  it('the committed schema.d.ts is what `npm run openapi:client` generates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lossd-openapi-ts-'));
    try {
      const fresh = join(dir, 'schema.d.ts');
      await runExample(bin('openapi-typescript'), ['openapi/openapi.json', '-o', fresh]);
      const committed = await readFile(join(ROOT, 'examples/typescript/schema.d.ts'), 'utf8');
      expect(
        committed === (await readFile(fresh, 'utf8')),
        'examples/typescript/schema.d.ts is stale: run `npm run openapi:client` (after `npm run openapi`)',
      ).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
