#!/usr/bin/env bash
# build-wasm.sh [out-dir] - compiles the AssemblyScript sources of src/codec/wasm/assembly/
# (npm's assemblyscript, a dev dependency: no other toolchain) into src/codec/wasm/<name>.wasm,
# which are committed; `npm run build` copies them next to the compiled loaders in dist/.
# test/codec/wasm/build.test.ts checks that the committed files are what this builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/src/codec/wasm}"
mkdir -p "$out"
# the entry files only (assembly/tables/ holds generated data they import)
for src in "$root"/src/codec/wasm/assembly/*.ts; do
  name="$(basename "$src" .ts)"
  # two fixed pages of memory (the loaders copy chunks through it), no runtime, no imports
  "$root/node_modules/.bin/asc" "$src" -O3 --enable simd --runtime stub --noAssert --use abort= \
    --initialMemory 2 --maximumMemory 2 -o "$out/$name.wasm"
done
