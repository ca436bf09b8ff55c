#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "wasme/oci/artifact.hpp"
#include "wasme/oci/runtime_config.hpp"

// One module in any layout wasme writes: what build --format, push --format and copy
// --format all package, so the three cannot disagree about a layout.
namespace wasme::image {

// A blob of a built artifact, in a file.
struct ArtifactBlob {
  std::filesystem::path file;
  oci::Digest digest;
  std::uint64_t size = 0;
  std::string label;  // for progress and messages: "filter.wasm", "config"
};

struct BuiltArtifact {
  oci::ArtifactFormat format = oci::ArtifactFormat::wasme;
  oci::Manifest manifest;
  std::string manifest_bytes;       // what is stored or pushed; its sha256 is the image digest
  std::vector<ArtifactBlob> blobs;  // config first, then the layers, each once
  oci::Digest wasm_digest;          // of the raw module
  std::uint64_t wasm_size = 0;
};

// Packages module (a file validate_module_file accepted) with its runtime config as format
// (wasme, compat or cncf; the 2019 format is read, never written), writing any blob that is
// not the module itself into work_dir. Deterministic: the same module and config give the
// same manifest bytes. A config without abi_versions gets the module's own ABI (as `build
// precompiled` records it). Error(usage) for solo_2019 or unknown.
BuiltArtifact build_artifact(oci::ArtifactFormat format, const std::filesystem::path& module,
                             const oci::RuntimeConfig& config, const std::filesystem::path& work_dir);

}  // namespace wasme::image
