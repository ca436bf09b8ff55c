#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/core/clock.hpp"

namespace wasme::cache {

using Millis = std::chrono::milliseconds;

// Whether modules that are no longer listed are deleted (after a grace period).
enum class Prune { keep, remove_unlisted };

// How long a failed ref waits before the next attempt: initial * 2^(failures-1), capped.
struct Backoff {
  Millis initial{1000};
  Millis max{60000};
  Millis delay(int failures) const;
};

// How many pulls run at once. A pull that has run for slow_after stops counting against
// `concurrency` (it goes on), so refs behind a slow registry cannot hold back the others;
// `max_pulls` bounds everything that runs. The defaults put no limit (for tests of order).
struct PullSlots {
  int concurrency = 1 << 20;
  int max_pulls = 1 << 20;
  Millis slow_after{0};  // 0: a pull never counts as slow
};

// Bounds on the HTTP server's connections, so slow, idle or numerous clients cannot take
// every thread and starve /healthz and /ready.
struct HttpLimits {
  // A request's line, headers and body must arrive within this, counted from its first
  // byte (a per-recv timeout never trips on a client sending a byte every few seconds).
  Millis request_deadline{10000};
  Millis idle_timeout{5000};    // a connection with no request under way is closed after this
  Millis write_timeout{10000};  // per write: a reader that stops reading is dropped
  int max_requests_per_connection = 5;
  std::size_t max_request_bytes = 128 * 1024;  // request line, headers and body together
  // Each connection being served holds a thread; threads are started as connections come,
  // up to this many (more connections wait for one), and end after a minute idle.
  int max_threads = 256;
  // Connections at once from one client address; more are answered 503 and closed at once.
  // Below max_threads, so one peer can never hold every thread.
  int max_connections_per_client = 64;
};

// Everything `wasme cache` is told on its command line, minus registry access.
struct DaemonConfig {
  std::filesystem::path directory;
  std::optional<std::filesystem::path> ref_file;  // re-read every interval
  std::vector<std::string> refs;                  // listed on the command line
  std::string address = "0.0.0.0";                // HTTP listen address
  std::optional<int> port = 9979;                 // no value: no HTTP server; 0: any free port
  Millis interval{2000};                          // how often the ref file is checked
  int concurrency = 4;                            // pulls at the same time
  // A pull running longer than this no longer holds one of the `concurrency` slots, so up to
  // `concurrency` more pulls may start beside slow ones (2 x concurrency at most). 0: never.
  Millis slow_pull_after{10000};
  Prune prune = Prune::keep;
  Millis prune_grace{std::chrono::minutes(10)};  // unlisted this long before removal
  Backoff backoff;
  Millis shutdown_grace{10000};         // how long a stop waits for pulls in flight
  Millis request_timeout{120000};       // how long GET /<ref> waits for its pull
  std::size_t max_requested_refs = 64;  // refs pulled on demand over HTTP, at most
  // GET /<ref> requests waiting for a pull at once; the rest of the HTTP threads stay free
  // for /ready probes and module reads.
  int max_waiting_requests = 8;
  // Serve refs that are not listed (GET /<ref> pulls them on demand) and modules by digest
  // that no listed ref points at. Off: only the listed refs and their modules are served.
  bool serve_unlisted = false;
  HttpLimits http;
};

// Parses a Go-style duration: "2s", "500ms", "1m30s", "1h". Throws Error(usage) naming
// `flag` and the bad text; zero is allowed, negative values are not.
Millis parse_duration(std::string_view text, std::string_view flag);

// "2s", "1m30s", "250ms": the inverse of parse_duration, for logs.
std::string format_duration(Millis duration);

}  // namespace wasme::cache
