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
  int blobs_present = 0;   // already in the store, intact
  int blobs_repaired = 0;  // in the store but damaged, so downloaded again (counted as downloaded too)
};

// Pulls reference (tag or digest) into the store: the manifest (verified, followed through
// an index), then every blob, each verified for size and sha256 while it streams. A blob the
// store has is hashed: kept when intact, downloaded again when damaged (pull repairs it). The
// image is then checked as `build precompiled` checks its input (image::validate_artifact:
// the module, a compat image's plugin.wasm, the config). Only when everything checked out are
// the blobs committed and the image added: a failed, tampered or refused pull leaves the store
// as it was. The blobs are pinned (store::BlobPin) from before the first look at the store
// until the image is in the index.
PullResult pull(store::Store& store, const oci::Reference& reference, const RemoteOptions& options,
                const Observer& observer);
// The same through a given client (tests substitute its transport). With `pinned`, the
// manifest fetched is that digest's (one whose signature was checked), still stored under
// reference's tag: a tag moved meanwhile cannot swap the image.
PullResult pull(Client& client, store::Store& store, const oci::Reference& reference,
                const std::optional<oci::Digest>& pinned = std::nullopt);

}  // namespace wasme::registry
