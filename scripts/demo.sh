#!/usr/bin/env bash
# The main job, end to end on local defaults: install what is missing, build wasme, start a
# registry on loopback, scaffold a filter, build it with real Bazel and clang, inspect it,
# push it, pull it back, render everything Istio needs with the module's sha256, and run the
# node cache daemon on the rendered image list, as a node of the cluster would.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# The test suite runs this script with WASME_BIN (a wasme already built) and WASME_DEMO_DIR.
work="${WASME_DEMO_DIR:-$root/.wasme-demo}"
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

if [[ -z "${WASME_BIN:-}" ]]; then
  step "install missing packages and build wasme"
  scripts/install-deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"${JOBS:-2}" --target wasme
  WASME_BIN="$root/build/wasme"
fi
wasme() { "$WASME_BIN" "$@"; }

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
# Its log (which includes the 404 answers to push's "do you have this blob?" checks) goes to a file.
docker-registry serve "$work/registry/config.yml" 2>"$work/registry/log" & pids+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 ||
  { echo "the registry did not start:" >&2; cat "$work/registry/log" >&2; exit 1; }
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

step "wasme deploy istio: render the cache, the workload patch and the EnvoyFilter"
# No --istio-version: the newest Istio line wasme knows (docs/ISTIO.md). The module exports
# proxy_abi_version_0_2_1, which Istio runs from 1.8 on (inspect says so).
wasme deploy istio "$ref" --id add-header -l app=details \
  --config '{"value":"hi-from-wasme"}' >"$work/deploy.yaml"
cat "$work/deploy.yaml"
grep -q 'name: envoy.filters.network.http_connection_manager' "$work/deploy.yaml" ||
  { echo "the EnvoyFilter does not match the filter names current Istio uses" >&2; exit 1; }

step "wasme cache: the node daemon, fed the rendered ConfigMap's image list"
# The DaemonSet mounts the ConfigMap at /etc/wasme-cache and the node's cache directory at
# /var/local/lib/wasme-cache; here both live under $work/node.
node_cache="$work/node/var/local/lib/wasme-cache"
mkdir -p "$node_cache" "$work/node/etc/wasme-cache"
NODE_PATH="$root/tests/node_modules" node -e '
  const YAML = require("yaml");
  const docs = YAML.parseAllDocuments(require("fs").readFileSync(process.argv[1], "utf8")).map((d) => d.toJS());
  process.stdout.write(docs.find((d) => d && d.kind === "ConfigMap").data.images);
' "$work/deploy.yaml" >"$work/node/etc/wasme-cache/images.txt"
cache_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$WASME_BIN" cache --directory "$node_cache" --ref-file "$work/node/etc/wasme-cache/images.txt" \
  --address 127.0.0.1 --port "$cache_port" & pids+=($!)
for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$cache_port/ready" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$cache_port/ready" >/dev/null 2>&1 ||
  { echo "the cache is not ready after 60 s:" >&2; curl -sS "http://127.0.0.1:$cache_port/ready" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$cache_port/images"

step "check: the file the EnvoyFilter loads is in the cache directory, named by its sha256"
filename=$(grep -o '/var/local/lib/wasme-cache/[0-9a-f]\{64\}' "$work/deploy.yaml")
sha=$(basename "$filename")
echo "$sha  $node_cache/$sha" | sha256sum -c -
wasm_digest=$(wasme inspect "$ref" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["wasmDigest"])')
[[ "$wasm_digest" == "sha256:$sha" ]] || { echo "the EnvoyFilter loads $sha, the image holds $wasm_digest" >&2; exit 1; }
echo "done: the EnvoyFilter loads $filename; the cache wrote it there and its sha256 matches" >&2
