#!/bin/bash
# Environment for running emscripten from the repository Bazel fetched
# (external/emscripten_toolchain), sourced by emcc.sh and emar.sh.

# emsdk_env.sh changes directories and back, which fails on the symlinked working
# directories Bazel creates: work from the resolved path instead.
cd -P /proc/self/cwd

export EMSCRIPTEN_ROOT="external/emscripten_toolchain"
export EMCC_SKIP_SANITY_CHECK=1
export EMCC_WASM_BACKEND=1
export EM_EXCLUSIVE_CACHE_ACCESS=1
export NODE_JS=""
export SPIDERMONKEY_ENGINE=""

# emscripten compares cache paths as strings: the cache must be an absolute path.
mkdir -p "tmp/emscripten_cache"
export EM_CACHE="${PWD}/tmp/emscripten_cache"
export TEMP_DIR="tmp"

source external/emscripten_toolchain/emsdk_env.sh >/dev/null
