#pragma once
#include <optional>
#include <cstdint>
#include <string>

#include "wasme/oci/artifact.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/registry/client.hpp"
#include "wasme/registry/options.hpp"
#include "wasme/store/store.hpp"

namespace wasme::registry {

struct PullResult {
  oci::Reference reference;
  oci::Digest manifest_digest;
  std::string manifest_media_type;
  oci::ArtifactFormat format = oci::ArtifactFormat::unknown;
  oci::Digest wasm_digest;  // sha256 of the raw module (for compat: of plugin.wasm)
  std::uint64_t wasm_size = 0;
  int blobs_downloaded = 0;
  int blobs_present = 0;  // already in the store
};

// Pulls reference (tag or digest) into the store: the manifest (verified, followed through
// an index), then every blob, each verified for size and sha256 while it streams; a compat
// image's plugin.wasm is extracted once as a check. Only when everything checked out are the
// blobs committed and the image added: a failed or tampered pull leaves the store as it was.
PullResult pull(store::Store& store, const oci::Reference& reference, const RemoteOptions& options,
                const Observer& observer);
// The same through a given client (tests substitute its transport). With `pinned`, the
// manifest fetched is that digest's (one whose signature was checked), still stored under
// reference's tag: a tag moved meanwhile cannot swap the image.
PullResult pull(Client& client, store::Store& store, const oci::Reference& reference,
                const std::optional<oci::Digest>& pinned = std::nullopt);

}  // namespace wasme::registry
