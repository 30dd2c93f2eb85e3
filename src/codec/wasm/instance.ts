// Loads one of the committed WebAssembly modules of this folder (built from ./assembly/ by
// scripts/build-wasm.sh), once per thread: each worker instantiates its own on first use.

import { readFileSync } from 'node:fs';

/** A WebAssembly.Global (not in the typings of lib ES2023 and @types/node 20). */
export interface Global {
  readonly value: number;
}

/** WebAssembly's constructors (typed here: lib ES2023 and @types/node 20 leave them out). */
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { readonly exports: unknown };
    };
  }
).WebAssembly;

/** The exports of ./<name>.wasm, a module without imports; its memory is exported as `memory`. */
export function instantiate<T extends { readonly memory: { readonly buffer: ArrayBuffer } }>(name: string): T {
  const bytes = readFileSync(new URL(`./${name}.wasm`, import.meta.url));
  return new wasm.Instance(new wasm.Module(bytes), {}).exports as T;
}
