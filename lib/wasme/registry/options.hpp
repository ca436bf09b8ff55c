#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/core/log.hpp"

namespace wasme::registry {

// How the client reaches registries and which credentials it uses. Filled from the flags of
// every network command (push, pull, list --remote, login, deploy, cache).
struct RemoteOptions {
  bool plain_http = false;                       // --plain-http: never TLS
  bool insecure = false;                         // --insecure: TLS without certificate verification
  std::optional<std::filesystem::path> ca_file;  // --ca-file
  // -u/-p or --password-stdin: take precedence over every credentials file.
  std::optional<std::string> username;
  std::optional<std::string> password;
  // -c/--credentials FILE (docker config format), tried in order before the defaults.
  std::vector<std::filesystem::path> credential_files;
  // Uploads above this go in PATCH chunks of this size (below the request-size limits of
  // common proxies; smaller blobs go in one PUT, which is fastest).
  std::uint64_t chunk_size = 64u << 20;
  std::uint64_t max_module_size = 256u << 20;  // Istio's limit
  std::uint64_t max_manifest_size = 4u << 20;
  long connect_timeout_seconds = 15;
  // A transfer that moves fewer than min_bytes_per_second (libcurl's average over its last
  // few seconds) for stall_timeout_seconds in a row is aborted, as a stall or as too slow:
  // a registry that trickles (1 B/s never trips a 1 B/s limit) cannot hold a pull for ever.
  // No total timeout: a large module at any rate above the minimum is never cut off.
  long min_bytes_per_second = 1024;
  long stall_timeout_seconds = 30;
  int max_attempts = 5;
};

// Receives log lines (-v) and progress; the library never prints. Both may be empty.
struct Observer {
  Log log;
  // Called while a blob moves: what (e.g. "sha256:ab12… filter.wasm"), bytes done, total.
  std::function<void(std::string_view what, std::uint64_t done, std::uint64_t total)> progress;
};

}  // namespace wasme::registry
