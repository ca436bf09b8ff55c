#!/usr/bin/env bash
# Push, pull, copy and save of 1, 64 and 256 MiB wasm modules through a local docker-registry:
# `wasme push`/`pull`/`copy`/`save` against `skopeo copy` of the same artifact, in the same run
# (copy: to another repository of the same registry; save: to an OCI image layout archive).
# Wall time: hyperfine median; peak RSS: /usr/bin/time (GNU time). Registry state is wiped
# before every timed run, so each push really uploads and each pull really downloads.
#
# Usage: bench/registry.sh [--wasme PATH] [--sizes "1 64 256"] [--runs N] [--markdown FILE]
#   WASME_FLAGS       flags for wasme push and pull (default: --plain-http)
#   WASME_PUSH_FLAGS  more flags for wasme push only (e.g. --chunk-size 64MiB)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(dirname "$here")
wasme=${WASME_BIN:-$source_dir/build/wasme}
sizes="1 64 256"
runs=5
markdown=""
wasme_flags=${WASME_FLAGS:---plain-http}
wasme_push_flags=${WASME_PUSH_FLAGS:-}

while [ $# -gt 0 ]; do
  case "$1" in
    --wasme) wasme=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --markdown) markdown=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done

for tool in docker-registry skopeo hyperfine python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
[ -x "$wasme" ] || { echo "bench: no wasme binary at $wasme (use --wasme PATH)" >&2; exit 1; }
wasme=$(cd "$(dirname "$wasme")" && pwd)/$(basename "$wasme")

work=$(mktemp -d "${TMPDIR:-/tmp}/wasme-bench-XXXXXX")
registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "bench: $*" >&2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
registry_data=$work/registry-data
mkdir -p "$registry_data"
cat >"$work/registry.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $registry_data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
EOF
docker-registry serve "$work/registry.yml" 2>"$work/registry.log" &
registry_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/v2/" >/dev/null || { log "registry did not start"; cat "$work/registry.log" >&2; exit 1; }
log "registry on 127.0.0.1:$port, work dir $work"

# skopeo keeps a blob-location cache and would mount blobs instead of uploading them; give it
# a private HOME (non-root) and wipe the registry before each run so every run moves bytes.
export HOME=$work/home
mkdir -p "$HOME"
wipe_registry="rm -rf $registry_data/docker"

# Median seconds of one hyperfine command (result index $2) from its JSON export.
median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"; }

# Peak RSS in MiB of one run of a shell command (after its preparation command).
peak_rss() {
  local prepare=$1 command=$2
  bash -c "$prepare"
  /usr/bin/time -f '%M' -o "$work/rss" bash -c "exec $command" >/dev/null 2>"$work/rss.err" ||
    { log "failed: $command"; cat "$work/rss.err" >&2; exit 1; }
  python3 -c 'import sys; print("%.1f" % (int(open(sys.argv[1]).read().split()[-1]) / 1024))' "$work/rss"
}

ratio() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print("%.2f" % (a/b) if b else "n/a")' "$1" "$2"; }

rows=()
for size in $sizes; do
  module=$work/module-$size.wasm
  python3 "$here/make-module.py" "$source_dir/tests/fixtures/clang_filter.wasm" "$size" "$module"
  src_home=$work/src-$size
  ref=127.0.0.1:$port/bench/module-$size:v1
  WASME_HOME=$src_home "$wasme" build precompiled "$module" -t "$ref" >/dev/null
  store=$src_home/store
  # The store is an OCI layout; skopeo reads the same manifest and blobs wasme pushes.
  refname=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$store/index.json")

  wasme_push="WASME_HOME=$src_home $wasme push $wasme_flags $wasme_push_flags $ref"
  skopeo_push="skopeo copy -q --dest-tls-verify=false oci:$store:$refname docker://$ref"
  log "push $size MiB"
  hyperfine -N --style basic --runs "$runs" --prepare "$wipe_registry" --export-json "$work/push-$size.json" \
    -n "wasme push" "env $wasme_push" -n "skopeo copy (push)" "$skopeo_push" >&2
  push_rss_w=$(peak_rss "$wipe_registry" "env $wasme_push")
  push_rss_s=$(peak_rss "$wipe_registry" "$skopeo_push")

  # The registry holds the image for the pulls (pushed by wasme).
  bash -c "$wipe_registry"; bash -c "env $wasme_push" >/dev/null 2>&1
  pull_home=$work/pull-$size
  layout=$work/skopeo-layout-$size
  wasme_pull="WASME_HOME=$pull_home $wasme pull $wasme_flags $ref"
  skopeo_pull="skopeo copy -q --src-tls-verify=false docker://$ref oci:$layout:v1"
  wipe_pulls="rm -rf $pull_home $layout"
  log "pull $size MiB"
  hyperfine -N --style basic --runs "$runs" --prepare "$wipe_pulls" --export-json "$work/pull-$size.json" \
    -n "wasme pull" "env $wasme_pull" -n "skopeo copy (pull)" "$skopeo_pull" >&2
  # Both tools must have fetched the very bytes we started from.
  digest=$(sha256sum "$module" | cut -d' ' -f1)
  pull_rss_w=$(peak_rss "$wipe_pulls" "env $wasme_pull")
  cmp -s "$module" "$pull_home/store/blobs/sha256/$digest" || { log "wasme pull: module differs"; exit 1; }
  pull_rss_s=$(peak_rss "$wipe_pulls" "$skopeo_pull")
  cmp -s "$module" "$layout/blobs/sha256/$digest" || { log "skopeo copy: module differs"; exit 1; }

  # Registry to registry: the destination repository is removed before each run (its blobs
  # stay in the registry's blob store, so both tools may mount them, as they would in use).
  copy_ref=127.0.0.1:$port/bench/copy-$size:v1
  wipe_copy="rm -rf $registry_data/docker/registry/v2/repositories/bench/copy-$size"
  wasme_copy="WASME_HOME=$pull_home $wasme copy $wasme_flags $ref $copy_ref"
  skopeo_copy="skopeo copy -q --src-tls-verify=false --dest-tls-verify=false docker://$ref docker://$copy_ref"
  log "copy $size MiB"
  hyperfine -N --style basic --runs "$runs" --prepare "$wipe_copy" --export-json "$work/copy-$size.json" \
    -n "wasme copy" "env $wasme_copy" -n "skopeo copy (registry)" "$skopeo_copy" >&2
  copy_rss_w=$(peak_rss "$wipe_copy" "env $wasme_copy")
  copy_rss_s=$(peak_rss "$wipe_copy" "$skopeo_copy")

  # Store to archive: both read the same store (an OCI layout).
  archive=$work/archive-$size.tar
  wasme_save="WASME_HOME=$src_home $wasme save $ref -o $archive"
  skopeo_save="skopeo copy -q oci:$store:$refname oci-archive:$archive:v1"
  log "save $size MiB"
  hyperfine -N --style basic --runs "$runs" --prepare "rm -f $archive" --export-json "$work/save-$size.json" \
    -n "wasme save" "env $wasme_save" -n "skopeo copy (oci-archive)" "$skopeo_save" >&2
  save_rss_w=$(peak_rss "rm -f $archive" "env $wasme_save")
  save_rss_s=$(peak_rss "rm -f $archive" "$skopeo_save")
  rm -f "$archive"

  for op in push pull copy save; do
    json=$work/$op-$size.json
    tw=$(median "$json" 0); ts=$(median "$json" 1)
    case $op in
      push) rw=$push_rss_w; rs=$push_rss_s ;;
      pull) rw=$pull_rss_w; rs=$pull_rss_s ;;
      copy) rw=$copy_rss_w; rs=$copy_rss_s ;;
      save) rw=$save_rss_w; rs=$save_rss_s ;;
    esac
    rows+=("| $size MiB | $op | $tw | $ts | $(ratio "$tw" "$ts") | $rw | $rs | $(ratio "$rw" "$rs") |")
  done
  rm -rf "$module" "$pull_home" "$layout"
done

table=$(
  echo "| module | operation | wasme median (s) | skopeo median (s) | time wasme/skopeo | wasme peak RSS (MiB) | skopeo peak RSS (MiB) | RSS wasme/skopeo |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
)
echo "$table"
if [ -n "$markdown" ]; then echo "$table" >"$markdown"; fi
