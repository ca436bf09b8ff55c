#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "wasme/oci/artifact.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/oci/runtime_config.hpp"
#include "wasme/wasm/module.hpp"

// What every way into the store or the node cache accepts as a filter image, in one place:
// `build precompiled` (package_module), `pull` and the cache's fetch (registry::fetch_module)
// all call validate_artifact on what they are about to commit, and summarize reads configs
// through validate_config, so none of them can accept what another refuses.
namespace wasme::image {

// The largest config blob accepted: the runtime config reader's limit (RuntimeConfig::parse).
inline constexpr std::uint64_t max_config_size = 1u << 20;

// Refuses a config descriptor declaring more than max_config_size, so a pull or fetch refuses
// it before downloading anything. Error(invalid_input).
void check_config_size(const oci::Descriptor& config);

// A config blob as the readers read it. For the wasme and 2019 formats (layout.has_config),
// the runtime config (RuntimeConfig::parse / parse_solo_2019_config); any other config (a
// compat image's OCI image config, an empty {} config) must still be a JSON object. At most
// max_config_size bytes, valid JSON, valid UTF-8. Error(invalid_input) naming the blob.
oci::RuntimeConfig validate_config(const oci::ArtifactLayout& layout, const oci::Descriptor& config,
                                   std::string_view bytes);

// A module file wasm::read_module_file accepts: magic, version 1, well-formed sections. An
// empty file, text, zeros, a tar are refused (Error(invalid_input)). `label`, when not empty,
// replaces the file's (temp) path in the message: "the module layer sha256:…: not a wasm
// module: …".
wasm::ModuleInfo validate_module_file(const std::filesystem::path& file, const std::string& label = {});

// The raw module of an image being checked: the module layer's file itself, or plugin.wasm
// extracted from a compat layer into scratch_dir (refusing unsafe archives, as
// extract_plugin_wasm does), with how errors name it.
struct ModuleFile {
  std::filesystem::path path;
  std::string label;
};
ModuleFile module_in_layer(const oci::ArtifactLayout& layout, const std::filesystem::path& layer_file,
                           const std::filesystem::path& scratch_dir, std::uint64_t max_size);

// An image's parts, checked before they are committed anywhere.
struct ArtifactParts {
  oci::ArtifactLayout layout;     // oci::classify of its manifest
  oci::Descriptor config;         // the manifest's config descriptor
  std::string_view config_bytes;  // that blob's bytes
  std::filesystem::path module;   // the raw module (compat: plugin.wasm, already extracted)
  std::string module_label;       // how errors name the module; empty: by its path
};

struct ValidArtifact {
  wasm::ModuleInfo module;
  oci::RuntimeConfig config;  // empty when the layout has no runtime config
};

// The checks `build precompiled` makes, for any image: check_config_size, validate_config,
// validate_module_file. Throws Error(invalid_input) on the first failure.
ValidArtifact validate_artifact(const ArtifactParts& parts);

}  // namespace wasme::image
