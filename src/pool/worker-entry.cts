// The file piscina starts each worker with. piscina loads a worker file with require() first,
// which for an ES module (./worker.js) is Node's require(esm); in Node 20 that path crashed a
// test run outright (FATAL "v8::Module::IsGraphAsync must be used on an instantiated module",
// from piscina's require in a worker thread). This CommonJS entry loads the worker through the
// long-established dynamic import() instead, starting at once so that the first task does not
// wait for it.

type Handle = (task: unknown) => unknown;

const handle: Promise<Handle> = import('./worker.js').then((m) => m.default as Handle);
// a failed load must fail the tasks, not the thread
handle.catch(() => {});

export = async function run(task: unknown): Promise<unknown> {
  return (await handle)(task);
};
