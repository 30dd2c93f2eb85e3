// lossd from TypeScript through a typed client: the types come from openapi/openapi.json
// (`npm run openapi:client` writes schema.d.ts with openapi-typescript), the calls go through
// openapi-fetch. Paths, request bodies, responses and problems are all checked by tsc.
//
//   LOSSD_URL=http://127.0.0.1:8080 npx tsx examples/typescript/client.ts
//
// Set LOSSD_API_KEY when the server requires a bearer token.

import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

type Problem = components['schemas']['Problem'];
type Tensor = components['schemas']['Tensor'];

const baseUrl = (process.env.LOSSD_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const apiKey = process.env.LOSSD_API_KEY;
const client = createClient<paths>({
  baseUrl,
  headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
});

function fail(name: string, problem: Problem | undefined, status: number): never {
  const where = problem?.errors.map((e) => `${e.path}: ${e.message}`).join(', ') ?? '';
  throw new Error(`${name}: ${status} ${problem?.title ?? ''}: ${problem?.detail ?? ''} [${where}]`);
}

function show(name: string, loss: unknown, grad: Record<string, Tensor | undefined> | undefined): void {
  console.log(`${name}: loss = ${JSON.stringify(loss)}`);
  for (const [arg, g] of Object.entries(grad ?? {})) console.log(`${name}: grad[${arg}] = ${JSON.stringify(g)}`);
}

// F.cross_entropy(input, target): 2 samples, 3 classes, class-index targets. Options such as
// reduction or label_smoothing may be left out: the server applies PyTorch's defaults.
const ce = await client.POST('/v1/losses/cross_entropy', {
  body: {
    input: [
      [2.0, 0.5, -1.0],
      [0.1, 0.2, 0.3],
    ],
    target: [0, 2],
  },
});
if (ce.error !== undefined || ce.data === undefined) fail('cross_entropy', ce.error, ce.response.status);
show('cross_entropy', ce.data.loss, ce.data.grad);

// F.mse_loss(input, target), the tensors in the {shape, data} form, gradients of both.
const mse = await client.POST('/v1/losses/mse_loss', {
  body: {
    input: { shape: [3], data: [1, 2, 3] },
    target: { shape: [3], data: [1, 2, 5] },
    grad_wrt: ['input', 'target'],
  },
});
if (mse.error !== undefined || mse.data === undefined) fail('mse_loss', mse.error, mse.response.status);
show('mse_loss', mse.data.loss, mse.data.grad);
