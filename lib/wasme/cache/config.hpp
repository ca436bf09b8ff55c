#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wasme::cache {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// Whether modules that are no longer listed are deleted (after a grace period).
enum class Prune { keep, remove_unlisted };

// How long a failed ref waits before the next attempt: initial * 2^(failures-1), capped.
struct Backoff {
  Millis initial{1000};
  Millis max{60000};
  Millis delay(int failures) const;
};

// Everything `wasme cache` is told on its command line, minus registry access.
struct DaemonConfig {
  std::filesystem::path directory;
  std::optional<std::filesystem::path> ref_file;  // re-read every interval
  std::vector<std::string> refs;                  // listed on the command line
  std::string address = "0.0.0.0";                // HTTP listen address
  std::optional<int> port = 9979;  // no value: no HTTP server; 0: any free port
  Millis interval{2000};                          // how often the ref file is checked
  int concurrency = 4;                            // pulls at the same time
  Prune prune = Prune::keep;
  Millis prune_grace{std::chrono::minutes(10)};  // unlisted this long before removal
  Backoff backoff;
  Millis shutdown_grace{10000};      // how long a stop waits for pulls in flight
  Millis request_timeout{120000};    // how long GET /<ref> waits for its pull
  std::size_t max_requested_refs = 64;  // refs pulled on demand over HTTP, at most
  // GET /<ref> requests waiting for a pull at once; the rest of the HTTP threads stay free
  // for /ready probes and module reads.
  int max_waiting_requests = 8;
};

// Parses a Go-style duration: "2s", "500ms", "1m30s", "1h". Throws Error(usage) naming
// `flag` and the bad text; zero is allowed, negative values are not.
Millis parse_duration(std::string_view text, std::string_view flag);

// "2s", "1m30s", "250ms": the inverse of parse_duration, for logs.
std::string format_duration(Millis duration);

}  // namespace wasme::cache
