#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "wasme/oci/digest.hpp"
#include "wasme/registry/options.hpp"

namespace wasme::cache {

// What a fetch left in the directory: dir/<digest hex>, complete and verified.
struct FetchedModule {
  oci::Digest digest;
  std::uint64_t size = 0;
  std::filesystem::path path;
};

// Pulls one ref's module into dir. It must write through a temp file in dir (prefix
// wasme::temp_file_prefix) and rename only after verifying the digest, and should give up
// soon after `cancel` becomes true. Throws wasme::Error. Injected so tests can fake it.
using Fetcher = std::function<FetchedModule(const std::string& ref, const std::filesystem::path& dir,
                                            const std::atomic<bool>& cancel)>;

// The real fetcher: registry::fetch_module with these options (credentials, TLS, limits).
Fetcher registry_fetcher(registry::RemoteOptions options, registry::Observer observer);

}  // namespace wasme::cache
