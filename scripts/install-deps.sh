#!/usr/bin/env bash
# Installs the Debian packages that building and testing wasme need, when any is missing.
# Idempotent and non-interactive; run as root (or with sudo available).
set -euo pipefail

packages=(
  # build
  cmake g++ pkg-config libcli11-dev libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev
  libssl-dev libarchive-dev libcpp-httplib-dev doctest-dev libsodium-dev
  # build speed: CMakeLists.txt compiles through ccache when it is installed
  ccache
  # scripts/check-format.sh (run by test.sh) checks the C++ against .clang-format
  clang-format
  # the demo and the benchmark scripts
  curl python3 wrk
  # tests: real registry, interop, wasm toolchain, Bazel, fault injection
  docker-registry apache2-utils skopeo wabt wasi-libc clang lld libclang-rt-14-dev-wasm32
  libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 bazel-bootstrap socat nodejs npm
  # packaging and what it installs: cpack's Depends (dpkg-shlibdeps), the man page, the
  # completions run in each shell
  dpkg-dev man-db groff-base bash zsh fish
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
# node and npm may come from outside Debian's packages (the base image ships them).
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}")
  missing=("${missing[@]/npm}")
fi
read -ra missing <<<"${missing[*]}"

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test tooling from npm (schemas for rendered YAML), pinned by tests/package-lock.json.
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -f "$root/tests/package.json" && ! -d "$root/tests/node_modules" ]]; then
  (cd "$root/tests" && npm ci --no-audit --no-fund --silent)
fi
