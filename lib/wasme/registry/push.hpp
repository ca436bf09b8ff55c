#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wasme/oci/artifact.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/registry/client.hpp"
#include "wasme/registry/options.hpp"
#include "wasme/store/store.hpp"

namespace wasme::registry {

struct PushRequest {
  oci::Reference reference;
  // `wasme push REF FILE`: package FILE as `build precompiled` would, then push.
  std::optional<std::filesystem::path> wasm_file;
  // The layout pushed (image/convert.hpp): nullopt or the stored image's own format pushes the
  // stored image as it is, digest and all; another is built from the stored module and config.
  std::optional<oci::ArtifactFormat> format;
};

struct PushResult {
  oci::Reference reference;
  oci::Digest manifest_digest;  // what Istio's WasmPlugin sha256 compares for oci:// URLs
  oci::Digest wasm_digest;      // sha256 of the raw module (the cache's file name)
  std::string manifest_media_type;
  oci::Manifest manifest;  // what was pushed, for judging its consumers (oci/consumers.hpp)
  oci::ArtifactFormat format = oci::ArtifactFormat::unknown;
  int blobs_uploaded = 0;
  int blobs_skipped = 0;              // the registry had them already
  std::vector<std::string> warnings;  // from packaging
};

// Pushes reference from the store: each blob unless the registry has it, then the manifest
// (with its media type) under the reference's tag (or digest).
PushResult push(store::Store& store, const PushRequest& request, const RemoteOptions& options,
                const Observer& observer);
// The same through a given client (tests substitute its transport).
PushResult push(Client& client, store::Store& store, const PushRequest& request);

}  // namespace wasme::registry
