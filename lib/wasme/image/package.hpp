#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wasme/image/summary.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/store/store.hpp"

namespace wasme::image {

// What `wasme build precompiled` (and `push REF FILE`, `build cpp`) packages.
struct PackageRequest {
  std::filesystem::path wasm_file;
  oci::Reference reference;
  // runtime-config.json; when absent the config is built from root_ids and abi_versions.
  std::optional<std::filesystem::path> config_file;
  std::vector<std::string> root_ids;
  std::vector<std::string> abi_versions;  // empty: recorded from the module's own ABI
  // The layout stored (build --format): wasme, compat or cncf (image/convert.hpp).
  oci::ArtifactFormat format = oci::ArtifactFormat::wasme;
};

struct PackageResult {
  ImageSummary image;
  // Things the user should know but that do not stop packaging (ABI disagreements …).
  std::vector<std::string> warnings;
};

// Checks the file is a wasm module and the artifact passes validate_artifact, as pull and
// the cache check theirs (refusing anything else before touching the store), builds the
// runtime config and the wasme artifact, stores blobs and the index entry; the blobs are
// pinned (store::BlobPin) from before the first is looked for until the entry has landed.
// Deterministic: the same module and config give the same manifest digest in any store.
PackageResult package_module(store::Store& store, const PackageRequest& request);

}  // namespace wasme::image
