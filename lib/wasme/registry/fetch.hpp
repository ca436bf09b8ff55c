#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>

#include "wasme/oci/digest.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/registry/client.hpp"
#include "wasme/registry/options.hpp"

namespace wasme::registry {

// A module written by fetch_module: dest_dir/<sha256 hex of its bytes>.
struct FetchedFile {
  oci::Digest digest;
  std::uint64_t size = 0;
  std::filesystem::path path;
};

// Fetches reference's module straight into dest_dir, without a store (for the cache daemon):
// resolves the manifest, finds the module (wasme, 2019 or compat), streams it through a temp
// file (prefix temp_file_prefix) and renames it to dest_dir/<hex> only after its digest and
// size were verified, the image passed image::validate_artifact (the checks `build
// precompiled` and `pull` make: a wasm module, a config blob (downloaded too, at most 1 MiB)
// the readers accept), and the file was fsynced. A compat layer is checked and plugin.wasm
// extracted the same way. Stops soon after *cancel becomes true.
FetchedFile fetch_module(const oci::Reference& reference, const std::filesystem::path& dest_dir,
                         const RemoteOptions& options, const Observer& observer,
                         const std::atomic<bool>* cancel = nullptr);
// The same through a given client.
FetchedFile fetch_module(Client& client, const oci::Reference& reference, const std::filesystem::path& dest_dir,
                         const std::atomic<bool>* cancel = nullptr);

}  // namespace wasme::registry
