#!/bin/bash
# Bazel's compiler and linker: emcc, producing a standalone wasm module for a proxy.
set -euo pipefail
source toolchain/common.sh

emcc -s STANDALONE_WASM=1 -s EMIT_EMSCRIPTEN_METADATA=1 \
  -s "EXPORTED_FUNCTIONS=['_malloc','_free']" "$@"

# Bazel checks every header named in the dependency file (-MF FILE) against declared inputs
# and the toolchain's builtin include directories, which are relative paths. emcc writes
# absolute paths into the output base: make them relative to the execution root again.
depfile=""
previous=""
for arg in "$@"; do
  if [[ "$previous" == "-MF" ]]; then depfile="$arg"; fi
  previous="$arg"
done
if [[ -n "$depfile" && -f "$depfile" ]]; then
  sed -i -e 's%[^ ]*/\(external/[^ ]*\)%\1%g' "$depfile"
fi
