// The file piscina starts each worker with. piscina loads a worker file with require() first,
// which for an ES module (./worker.js) is Node's require(esm); in Node 20 that path crashed a
// test run outright (FATAL "v8::Module::IsGraphAsync must be used on an instantiated module",
// from piscina's require in a worker thread). This CommonJS entry loads the worker through the
// long-established dynamic import() instead, starting at once so that the first task does not
// wait for it.

type Handle = (task: unknown) => unknown;

let loaded: Handle | undefined;
const loading: Promise<Handle> = import('./worker.js').then((m) => {
  loaded = m.default as Handle;
  return loaded;
});
// a failed load must fail the tasks, not the thread
loading.catch(() => {});

// Synchronous once the module is in, as the worker's own handler is: no extra promise per task.
export = function run(task: unknown): unknown {
  return loaded === undefined ? loading.then((handle) => handle(task)) : loaded(task);
};
