#!/usr/bin/env bash
# The main job, end to end on local defaults: install what is missing, build wasme, start a
# registry on loopback, scaffold a filter, build it with real Bazel and clang, inspect it,
# push it, pull it back, and render everything Istio needs with the module's sha256.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work="$root/.wasme-demo"
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "install missing packages and build wasme"
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"${JOBS:-2}" --target wasme
wasme() { "$root/build/wasme" "$@"; }

rm -rf "$work" && mkdir -p "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  (cd "$work/add-header" 2>/dev/null && bazel --output_user_root="$work/bazel-root" shutdown 2>/dev/null) || true
}
trap cleanup EXIT

step "start a registry on loopback"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
cat >"$work/registry/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve "$work/registry/config.yml" & pids+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
ref="127.0.0.1:$port/demo/add-header:v1"

step "wasme init: scaffold a filter (offline template)"
wasme init "$work/add-header" --template cpp-offline --disable-prompt

step "wasme build cpp: real Bazel, real clang"
wasme build cpp "$work/add-header" -t "$ref" \
  --bazel-startup-opt=--output_user_root="$work/bazel-root" --bazel-opt=--spawn_strategy=local

step "wasme inspect"
wasme inspect "$ref"

step "wasme push (plain HTTP: loopback registry)"
wasme push "$ref"

step "wasme rm, then wasme pull it back from the registry"
wasme rm "$ref"
wasme pull "$ref"
wasme list

step "wasme deploy istio: render the cache and the EnvoyFilter (Istio 1.4, as the seed)"
wasme deploy istio "$ref" --id add-header -l app=details --istio-version 1.4 --port 9080 \
  --config '{"value":"hi-from-wasme"}' >"$work/deploy.yaml"
cat "$work/deploy.yaml"

step "check: the EnvoyFilter loads the module by the sha256 of its bytes"
sha=$(wasme inspect "$ref" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["wasmDigest"][7:])')
grep -q "/var/local/lib/wasme-cache/$sha" "$work/deploy.yaml"
echo "$sha  ${WASME_HOME:-$HOME/.wasme}/store/blobs/sha256/$sha" | sha256sum -c -
echo "done: deploy.yaml loads /var/local/lib/wasme-cache/$sha, the sha256 of the pulled module" >&2
