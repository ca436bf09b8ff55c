#pragma once
#include <string>

#include "wasme/oci/artifact.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/registry/client.hpp"

namespace wasme::registry {

// Every manifest type we read, in the Accept header of a manifest GET. (distribution answers
// 404 to an OCI manifest request without it.)
std::string manifest_accept_header();

// A manifest document exactly as served, checked against `expected` (when given) or the
// registry's Docker-Content-Digest, and capped at options.max_manifest_size.
struct RawManifest {
  std::string bytes;
  oci::Digest digest;
  std::string media_type;
};
RawManifest fetch_manifest(Client& client, const oci::Reference& ref, const std::string& target,
                           const std::optional<oci::Digest>& expected);

// PUTs manifest bytes under target (a tag or digest) in ref's repository.
void put_manifest(Client& client, const oci::Reference& ref, const std::string& target, const std::string& media_type,
                  const std::string& bytes);

// A manifest as a registry served it, verified and classified.
struct ResolvedManifest {
  std::string bytes;  // exactly as served: its sha256 is the digest
  oci::Digest digest;
  std::string media_type;
  oci::Manifest manifest;
  oci::ArtifactLayout layout;
  bool from_index = false;  // the reference named an index; this is its first manifest
};

// Fetches reference's manifest (capped at options.max_manifest_size), verifies it against the
// reference's digest (or the registry's Docker-Content-Digest), follows an index or manifest
// list to its first manifest, and finds the module in it. Throws Error(integrity) on a
// digest mismatch, Error(invalid_input) for an image without a wasm module.
ResolvedManifest resolve_manifest(Client& client, const oci::Reference& reference);

}  // namespace wasme::registry
