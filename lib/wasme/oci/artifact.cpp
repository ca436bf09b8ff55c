#include "wasme/oci/artifact.hpp"

#include <algorithm>

#include "wasme/core/error.hpp"
#include "wasme/oci/media_types.hpp"

namespace wasme::oci {

namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

const Descriptor* find_layer(const Manifest& manifest, std::string_view media_type) {
  auto it = std::find_if(manifest.layers.begin(), manifest.layers.end(),
                         [&](const Descriptor& d) { return d.media_type == media_type; });
  return it == manifest.layers.end() ? nullptr : &*it;
}

bool is_tar_gzip(std::string_view media_type) {
  return media_type == media_type::oci_layer_tar_gzip || media_type == media_type::docker_layer_tar_gzip;
}

std::string layer_types(const Manifest& manifest) {
  std::vector<std::string> types;
  for (const auto& layer : manifest.layers) types.push_back(layer.media_type);
  return types.empty() ? "no layers" : "layers [" + join(types, ", ") + "]";
}

// Istio's extractOCIArtifactImage: exactly two layers, one of them the raw wasm layer.
std::string oci_wasm_variant_problem(const Manifest& manifest) {
  if (manifest.layers.size() != 2) {
    return "number of layers must be 2 but got " + std::to_string(manifest.layers.size());
  }
  if (!find_layer(manifest, media_type::wasm_layer)) {
    return "could not find the layer of type " + std::string(media_type::wasm_layer);
  }
  return {};
}

// Istio's extractDockerImage / extractOCIStandardImage: the last layer must be tar+gzip, and
// before 1.16 it must be the only one.
std::string last_layer_problem(const Manifest& manifest, std::string_view expected, IstioLayerRule rule) {
  if (rule == IstioLayerRule::single_layer && manifest.layers.size() != 1) {
    return "number of layers must be 1 but got " + std::to_string(manifest.layers.size());
  }
  if (manifest.layers.empty()) return "number of layers must be greater than zero";
  const std::string& last = manifest.layers.back().media_type;
  if (last != expected) return "invalid media type " + last + " (expect " + std::string(expected) + ")";
  return {};
}

// The original always wrote both keys (strings.Join of an empty list is ""), so we do too:
// a reader can tell "no ABI recorded" from "not a wasme artifact".
void add_runtime_annotations(Manifest& manifest, const RuntimeConfig& config) {
  manifest.annotations[std::string(annotation::abi_version)] = join(config.abi_versions, ",");
  manifest.annotations[std::string(annotation::runtime_type)] = config.type;
}

}  // namespace

Manifest make_wasm_manifest(const RuntimeConfig& config, const Digest& wasm_digest, std::uint64_t wasm_size,
                            const std::string& wasm_title) {
  std::string config_bytes = config.serialize();
  Descriptor config_descriptor;
  config_descriptor.media_type = media_type::wasm_config;
  config_descriptor.digest = sha256_of(config_bytes);
  config_descriptor.size = config_bytes.size();
  config_descriptor.annotations[std::string(annotation::title)] = "runtime-config.json";

  Descriptor wasm;
  wasm.media_type = media_type::wasm_layer;
  wasm.digest = wasm_digest;
  wasm.size = wasm_size;
  wasm.annotations[std::string(annotation::title)] = wasm_title;

  Manifest manifest;
  manifest.media_type = media_type::oci_manifest;
  manifest.config = config_descriptor;
  manifest.layers = {config_descriptor, wasm};
  add_runtime_annotations(manifest, config);
  return manifest;
}

Manifest make_cncf_manifest(const CncfConfig& config, const RuntimeConfig& runtime, const Digest& wasm_digest,
                            std::uint64_t wasm_size) {
  std::string config_bytes = config.serialize();
  Manifest manifest;
  manifest.media_type = media_type::oci_manifest;
  manifest.config = {std::string(media_type::cncf_wasm_config), sha256_of(config_bytes), config_bytes.size(), {}};
  Descriptor wasm{std::string(media_type::cncf_wasm_layer), wasm_digest, wasm_size, {}};
  wasm.annotations[std::string(annotation::title)] = "plugin.wasm";
  manifest.layers = {wasm};
  add_runtime_annotations(manifest, runtime);
  return manifest;
}

const char* to_string(ArtifactFormat format) {
  switch (format) {
    case ArtifactFormat::wasme: return "wasme";
    case ArtifactFormat::solo_2019: return "solo_2019";
    case ArtifactFormat::compat: return "compat";
    case ArtifactFormat::cncf: return "cncf";
    case ArtifactFormat::unknown: return "unknown";
  }
  return "unknown";
}

std::optional<ArtifactFormat> format_from_string(std::string_view name) {
  for (ArtifactFormat f :
       {ArtifactFormat::wasme, ArtifactFormat::solo_2019, ArtifactFormat::compat, ArtifactFormat::cncf}) {
    if (name == to_string(f)) return f;
  }
  return std::nullopt;
}

ArtifactLayout classify(const Manifest& manifest) {
  ArtifactLayout layout;
  if (const Descriptor* wasm = find_layer(manifest, media_type::wasm_layer)) {
    layout.format = ArtifactFormat::wasme;
    layout.module_layer = *wasm;
    layout.has_config = manifest.config.media_type == media_type::wasm_config;
    if (layout.has_config) layout.config_layer = manifest.config;
    return layout;
  }
  if (const Descriptor* code = find_layer(manifest, media_type::solo_code)) {
    layout.format = ArtifactFormat::solo_2019;
    layout.module_layer = *code;
    layout.has_config = manifest.config.media_type == media_type::solo_config;
    if (layout.has_config) layout.config_layer = manifest.config;
    return layout;
  }
  if (const Descriptor* wasm = find_layer(manifest, media_type::cncf_wasm_layer)) {
    layout.format = ArtifactFormat::cncf;
    layout.module_layer = *wasm;
    layout.has_config = manifest.config.media_type == media_type::cncf_wasm_config;
    if (layout.has_config) layout.config_layer = manifest.config;
    return layout;
  }
  if (!manifest.layers.empty() && is_tar_gzip(manifest.layers.back().media_type)) {
    layout.format = ArtifactFormat::compat;
    layout.module_layer = manifest.layers.back();
    return layout;
  }
  throw Error(ErrorKind::invalid_input,
              "no wasm module in this image: it has " + layer_types(manifest) + ", but expected a " +
                  std::string(media_type::wasm_layer) + " layer (wasme), a " + std::string(media_type::solo_code) +
                  " layer (wasme 2019), an " + std::string(media_type::cncf_wasm_layer) +
                  " layer (CNCF) or a last layer " + std::string(media_type::oci_layer_tar_gzip) +
                  " holding plugin.wasm (compat)",
              "is this a wasm filter image? container images cannot be deployed as filters");
}

std::string istio_rejection_reason(const Manifest& manifest, IstioLayerRule rule) {
  if (rule == IstioLayerRule::no_fetcher) {
    return "this Istio has no image fetching (WasmPlugin came in 1.12); deploy with the node cache";
  }
  if (manifest.media_type == media_type::docker_manifest) {
    return last_layer_problem(manifest, media_type::docker_layer_tar_gzip, rule);
  }
  // A manifest without mediaType is served by registries (distribution) as OCI.
  if (!manifest.media_type.empty() && manifest.media_type != media_type::oci_manifest) {
    return "unsupported manifest media type: \"" + manifest.media_type + "\" (Istio accepts " +
           std::string(media_type::docker_manifest) + " or " + std::string(media_type::oci_manifest) + ")";
  }
  std::string compat = last_layer_problem(manifest, media_type::oci_layer_tar_gzip, rule);
  if (compat.empty()) return {};
  std::string wasm = oci_wasm_variant_problem(manifest);
  if (wasm.empty()) return {};
  return "invalid format as an OCI image: not the compat variant (" + compat + ") nor the wasm variant (" + wasm + ")";
}

}  // namespace wasme::oci
