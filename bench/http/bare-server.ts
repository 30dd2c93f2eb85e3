// The HTTP baseline: a bare Fastify server, started like lossd (its own process, same node),
// with one POST route that parses the JSON body with Fastify's parser on its main thread and
// answers a constant. What lossd adds on top of this is its whole cost of serving a request.

import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/v1/losses/:name', async () => ({ loss: 0 }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
  });
}
