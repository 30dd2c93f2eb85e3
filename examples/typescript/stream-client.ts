// A file of batch items streamed through lossd with Node's own http module.
//
//   LOSSD_URL=http://127.0.0.1:8080 npx tsx examples/typescript/stream-client.ts items.ndjson > answers.ndjson
//
// items.ndjson holds one batch item a line ({"loss": "mse_loss", "input": ..., "target": ...}),
// as many lines as you like. They go to POST /v1/batch as application/x-ndjson through one
// connection, and each answer line is written to stdout as soon as it arrives, in the order of
// the items: the item's response body, or {"error": problem} for that item alone. The file is
// piped in while the answers are piped out, each side at the pace the other takes it, so
// neither holds the whole dataset. Set LOSSD_API_KEY when the server requires a bearer token.

import { createReadStream } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { components } from './schema.js';

type Problem = components['schemas']['Problem'];

const file = process.argv[2];
if (file === undefined) throw new Error('usage: stream-client.ts items.ndjson');
const base = (process.env.LOSSD_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const apiKey = process.env.LOSSD_API_KEY;

const req = request(`${base}/v1/batch`, {
  method: 'POST',
  headers: {
    'content-type': 'application/x-ndjson',
    ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
  },
});

const response = new Promise<IncomingMessage>((resolve, reject) => {
  req.once('response', resolve);
  req.once('error', reject);
});

async function readAnswers(): Promise<void> {
  const res = await response;
  if (res.statusCode !== 200) {
    // refused before it started (401, 415, 429, ...): one problem, not a stream
    let text = '';
    for await (const chunk of res) text += chunk;
    const problem = JSON.parse(text) as Problem;
    throw new Error(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
  let items = 0;
  let errors = 0;
  let rest = '';
  res.setEncoding('utf8');
  for await (const chunk of res as AsyncIterable<string>) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    if (lines.length === 0) continue;
    for (const line of lines) if (line.startsWith('{"error"')) errors++;
    items += lines.length;
    // answers leave as they arrive; stdout's own back-pressure slows the reading down
    if (!process.stdout.write(`${lines.join('\n')}\n`)) await new Promise((r) => process.stdout.once('drain', r));
  }
  process.stderr.write(`${items} answers, ${errors} errors\n`);
}

await Promise.all([pipeline(createReadStream(file), req), readAnswers()]);
