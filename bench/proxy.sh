#!/usr/bin/env bash
# wasme run against the same upstream reached directly, in one run: requests per second and
# p50/p99 latency from wrk, and the microseconds each request spends in the filter and the
# host (wasme's own wasme.filter_time_us histogram on --admin /stats).
#
#   bench/proxy.sh [--wasme build/wasme] [--duration 10s] [--connections 8] [--markdown FILE]
#
# The filter is the cpp-offline template's add-header filter, built here with clang. The
# upstream is a small node HTTP server answering "ok" with keep-alive.
set -euo pipefail

wasme=build/wasme
duration=10s
connections=8
markdown=""
while (($#)); do
  case "$1" in
    --wasme) wasme=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --markdown) markdown=$2; shift 2 ;;
    *) echo "usage: $0 [--wasme BIN] [--duration 10s] [--connections N] [--markdown FILE]" >&2; exit 2 ;;
  esac
done
wasme=$(realpath "$wasme")
for tool in wrk node clang++ curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/proxy.sh: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench/proxy.sh: nothing listens on port $1" >&2
  exit 1
}

"$wasme" init --template cpp-offline "$tmp/filter" >/dev/null
clang++ --target=wasm32-wasi -std=c++17 -O2 -fno-exceptions -mexec-model=reactor \
  -Wl,--export=malloc -Wl,--export=free -Wl,--strip-all -o "$tmp/filter.wasm" "$tmp/filter/filter.cc"

upstream=$(free_port)
node -e '
  require("http").createServer((req, res) => { res.writeHead(200, {"content-type": "text/plain"}); res.end("ok"); })
    .listen(Number(process.argv[1]), "127.0.0.1");' "$upstream" &
pids+=($!)
proxy=$(free_port)
admin=$(free_port)
"$wasme" run "$tmp/filter.wasm" --upstream "http://127.0.0.1:$upstream" --listen "127.0.0.1:$proxy" \
  --admin "127.0.0.1:$admin" --config '{"value":"bench"}' --workers 2 2>"$tmp/run.log" &
pids+=($!)
wait_port "$upstream"
wait_port "$proxy"
curl -sf -D - "http://127.0.0.1:$proxy/" -o /dev/null | grep -qi '^newheader: bench' ||
  { echo "bench/proxy.sh: the filter did not add its header" >&2; exit 1; }

measure() {  # URL -> "rps p50_us p99_us"
  wrk -t"$(( connections < 2 ? connections : 2 ))" -c"$connections" -d"$duration" --latency "$1" | python3 -c '
import re, sys
text = sys.stdin.read()
def us(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 1, "ms": 1000, "s": 1e6}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = us(re.search(r"\s50%\s+(\S+)", text).group(1))
p99 = us(re.search(r"\s99%\s+(\S+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors: sys.exit("wrk: %s requests failed" % errors.group(1))
print("%.0f %.0f %.0f" % (rps, p50, p99))'
}

read -r direct_rps direct_p50 direct_p99 < <(measure "http://127.0.0.1:$upstream/")
read -r proxy_rps proxy_p50 proxy_p99 < <(measure "http://127.0.0.1:$proxy/")
filter=$(curl -sf "http://127.0.0.1:$admin/stats" | grep '^wasme.filter_time_us:')
filter_p50=$(sed -E 's/.* P50\(([0-9]+),.*/\1/' <<<"$filter")
filter_p99=$(sed -E 's/.* P99\(([0-9]+),.*/\1/' <<<"$filter")

table=$(cat <<TABLE
| path | requests/s | p50 latency | p99 latency |
|---|---|---|---|
| upstream directly | $direct_rps | ${direct_p50} µs | ${direct_p99} µs |
| through \`wasme run\` + add-header filter | $proxy_rps | ${proxy_p50} µs | ${proxy_p99} µs |
| ratio (wasme run / direct) | $(python3 -c "print(round($proxy_rps/$direct_rps, 2))") | $(python3 -c "print(round($proxy_p50/max($direct_p50,1), 2))") | $(python3 -c "print(round($proxy_p99/max($direct_p99,1), 2))") |

Time in the filter and the host per request (wasme.filter_time_us, upstream excluded, over
the last 10,000 requests): p50 ${filter_p50} µs, p99 ${filter_p99} µs.
wrk: up to 2 threads, $connections connections, $duration each; wasme run: 2 workers.
TABLE
)
echo "$table"
[[ -z "$markdown" ]] || echo "$table" >"$markdown"
