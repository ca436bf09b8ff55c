#include "wasme/image/inspect.hpp"

#include <utility>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/image/validate.hpp"
#include "wasme/oci/json_fields.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/oci/media_types.hpp"

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
  report.consumers = oci::judge_consumers(report.image.manifest, layout_facts(store, report.image));
  return report;
}

oci::LayoutFacts layout_facts(const store::Store& store, const ImageSummary& image) {
  oci::LayoutFacts facts = oci::checked_facts(image.format);
  const oci::Descriptor& config = image.manifest.config;
  if (config.media_type == oci::media_type::oci_image_config ||
      config.media_type == oci::media_type::docker_image_config) {
    oci::json_fields::Where where{"config " + config.digest.str(), ""};
    auto json = oci::json_fields::parse_object(store.read_blob(config.digest, max_config_size), where);
    facts.diff_ids = 0;
    using oci::json_fields::Presence;
    const auto* rootfs = oci::json_fields::find(json, "rootfs", where, Presence::optional);
    if (rootfs && rootfs->is_object()) {
      const auto* ids = oci::json_fields::find(*rootfs, "diff_ids", where.key("rootfs"), Presence::optional);
      if (ids && ids->is_array()) facts.diff_ids = ids->size();
    }
  }
  return facts;
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
  report.consumers = oci::judge_consumers(manifest, {});
  return report;
}

}  // namespace wasme::image
