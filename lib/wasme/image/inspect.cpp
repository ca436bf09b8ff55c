#include "wasme/image/inspect.hpp"

#include <utility>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/oci/manifest.hpp"

namespace wasme::image {

InspectReport inspect_image(const store::Store& store, const oci::Reference& reference) {
  InspectReport report;
  report.from_store = true;
  // One pass: every blob shown is read and checked against its digest once (read_image).
  TempDir scratch("wasme-inspect-");
  ImageDetail detail = read_image(store, reference, scratch.path());
  report.image = std::move(detail.image);
  report.config_media_type = report.image.manifest.config.media_type;
  report.layers = report.image.manifest.layers;
  report.module = std::move(detail.module);
  return report;
}

InspectReport inspect_file(const std::filesystem::path& file) {
  InspectReport report;
  report.file = file;
  report.module = wasm::read_module_file(file);
  oci::FileDigest digest = oci::sha256_of_file(file);
  report.image.format = oci::ArtifactFormat::wasme;
  report.image.wasm_digest = digest.digest;
  report.image.wasm_size = digest.size;
  report.image.module_abi = report.module.abi;
  std::string abi = wasm::runtime_abi_version(report.module.abi);
  if (!abi.empty()) report.image.config.abi_versions.push_back(abi);
  // The artifact `build precompiled` would make from this file.
  oci::Manifest manifest = oci::make_wasm_manifest(report.image.config, digest.digest, digest.size);
  report.image.manifest = manifest;
  report.config_media_type = manifest.config.media_type;
  report.layers = manifest.layers;
  return report;
}

}  // namespace wasme::image
