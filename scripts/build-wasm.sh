#!/usr/bin/env bash
# build-wasm.sh [out-dir] - compiles the AssemblyScript sources of src/codec/wasm/assembly/
# (npm's assemblyscript, a dev dependency: no other toolchain) into src/codec/wasm/<name>.wasm,
# which are committed; `npm run build` copies them next to the compiled loaders in dist/.
# test/codec/wasm/build.test.ts checks that the committed files are what this builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/src/codec/wasm}"
mkdir -p "$out"
# the entry files only (assembly/tables/ holds generated data they import, assembly/common/ shared code)
for src in "$root"/src/codec/wasm/assembly/*.ts; do
  name="$(basename "$src" .ts)"
  # base64, double: two fixed pages (the loaders copy chunks through them); arrays: its fixed
  # regions, then values as they come (up to 1 GiB); no runtime, no imports
  case "$name" in
    arrays) memory=(--initialMemory 11 --maximumMemory 16384) ;;
    *) memory=(--initialMemory 2 --maximumMemory 2) ;;
  esac
  "$root/node_modules/.bin/asc" "$src" -O3 --enable simd --runtime stub --noAssert --use abort= \
    "${memory[@]}" -o "$out/$name.wasm"
done
