#pragma once
#include <optional>
#include <string>

#include "wasme/oci/artifact.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/registry/client.hpp"

namespace wasme::registry {

struct CopyRequest {
  oci::Reference source;
  oci::Reference destination;
  // Convert to this layout (image/convert.hpp); nullopt or the source's own layout copies the
  // image as it is, manifest bytes and digest unchanged (an index with every manifest in it).
  std::optional<oci::ArtifactFormat> format;
};

struct CopyResult {
  oci::Digest source_digest;
  oci::ArtifactFormat source_format = oci::ArtifactFormat::unknown;
  oci::Digest manifest_digest;  // at the destination; == source_digest unless converted
  std::string media_type;
  oci::ArtifactFormat format = oci::ArtifactFormat::unknown;
  bool converted = false;
  int blobs_copied = 0;   // downloaded (verified) and uploaded
  int blobs_mounted = 0;  // cross-repository mounts within one registry: no bytes moved
  int blobs_skipped = 0;  // the destination had them
};

// Registry to registry, without the local store. Each blob the destination lacks is mounted
// from the source repository when both are in one registry, else downloaded into a temp file
// (memory stays flat; size and sha256 verified) and uploaded from it, so nothing unverified
// reaches the destination; the manifest goes last. A conversion downloads the module and
// config, checks them as pull does (image::validate_artifact) and uploads the new layout.
// source and destination may share one client.
CopyResult copy(Client& source, Client& destination, const CopyRequest& request);

}  // namespace wasme::registry
