#include "wasme/image/validate.hpp"

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/oci/cncf_config.hpp"
#include "wasme/oci/json_fields.hpp"

namespace wasme::image {
namespace {

const char* const image_hint =
    "wasme accepts from a registry what `wasme build precompiled` would package: a WebAssembly "
    "module and a runtime config (JSON, at most 1 MiB)";

std::string config_name(const oci::Descriptor& config) { return "the config blob " + config.digest.str(); }

std::string over_limit(const oci::Descriptor& config, std::uint64_t size) {
  return config_name(config) + " is " + std::to_string(size) + " bytes (" + format_size(size) +
         "), over the 1 MiB limit for a runtime config";
}

// The spec's layerDigests lists the manifest's layers in order, index 0 the module.
void check_cncf_config(const oci::ArtifactLayout& layout, const oci::CncfConfig& parsed,
                       const oci::Descriptor& config) {
  if (parsed.layer_digests.empty() || parsed.layer_digests.front() != layout.module_layer.digest.str()) {
    throw Error(
        ErrorKind::invalid_input,
        config_name(config) + ": layerDigests[0] is " +
            (parsed.layer_digests.empty() ? std::string("missing") : "\"" + parsed.layer_digests.front() + "\"") +
            ", but the module layer is " + layout.module_layer.digest.str(),
        "the CNCF wasm config must list the manifest's layer digests in order");
  }
}

}  // namespace

void check_config_size(const oci::Descriptor& config) {
  if (config.size > max_config_size) {
    throw Error(ErrorKind::invalid_input, over_limit(config, config.size), image_hint);
  }
}

oci::RuntimeConfig validate_config(const oci::ArtifactLayout& layout, const oci::Descriptor& config,
                                   std::string_view bytes) {
  if (bytes.size() > max_config_size) {
    throw Error(ErrorKind::invalid_input, over_limit(config, bytes.size()), image_hint);
  }
  try {
    if (layout.has_config && layout.format == oci::ArtifactFormat::solo_2019) {
      return with_context(config_name(config), [&] { return oci::parse_solo_2019_config(bytes); });
    }
    if (layout.has_config && layout.format == oci::ArtifactFormat::cncf) {
      check_cncf_config(layout, oci::CncfConfig::parse(bytes, config_name(config)), config);
      return {};  // the CNCF config records no root ids or ABI
    }
    if (layout.has_config) return oci::RuntimeConfig::parse(bytes, config_name(config));
    // Not read as a runtime config, but a config that is not JSON is a broken image.
    oci::json_fields::parse_object(bytes, oci::json_fields::Where{config_name(config), ""});
    return {};
  } catch (const Error& e) {
    throw Error(e.kind(), e.what(), e.hint().empty() ? image_hint : e.hint());
  }
}

wasm::ModuleInfo validate_module_file(const fs::path& file, const std::string& label) {
  try {
    return wasm::read_module_file(file);
  } catch (const Error& e) {
    if (label.empty()) throw;
    // read_module_file says "reading <path>: …"; a temp file's path means nothing to the user.
    std::string message = e.what();
    const std::string prefix = "reading " + file.string() + ": ";
    if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
    throw Error(e.kind(), label + ": " + message, image_hint);
  }
}

ModuleFile module_in_layer(const oci::ArtifactLayout& layout, const fs::path& layer_file, const fs::path& scratch_dir,
                           std::uint64_t max_size) {
  const std::string digest = layout.module_layer.digest.str();
  if (layout.format != oci::ArtifactFormat::compat) return {layer_file, "the module layer " + digest};
  fs::path extracted = scratch_dir / (layout.module_layer.digest.hex() + ".plugin.wasm");
  with_context("checking the compat layer", [&] { extract_plugin_wasm(layer_file, extracted, max_size); });
  return {extracted, "plugin.wasm in the compat layer " + digest};
}

ValidArtifact validate_artifact(const ArtifactParts& parts) {
  ValidArtifact valid;
  check_config_size(parts.config);
  valid.config = validate_config(parts.layout, parts.config, parts.config_bytes);
  valid.module = validate_module_file(parts.module, parts.module_label);
  return valid;
}

}  // namespace wasme::image
