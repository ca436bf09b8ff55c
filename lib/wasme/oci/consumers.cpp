#include "wasme/oci/consumers.hpp"

#include <algorithm>

#include "wasme/oci/artifact.hpp"
#include "wasme/oci/media_types.hpp"

namespace wasme::oci {
namespace {

bool is_tar_gzip(std::string_view type) {
  return type == media_type::oci_layer_tar_gzip || type == media_type::docker_layer_tar_gzip;
}

// containerd core/images/mediatypes.go IsLayerType (the types image volumes unpack).
bool is_tar_layer(std::string_view type) {
  return type == media_type::oci_layer_tar || type == media_type::oci_layer_tar_gzip ||
         type == media_type::oci_layer_tar_zstd || type == media_type::docker_layer_tar ||
         type == media_type::docker_layer_tar_gzip;
}

// Istio pkg/wasm/imagefetcher.go and Envoy Gateway internal/wasm/imagefetcher.go (a copy of
// it, v1.1.0 to main): the manifest rules of istio_rejection_reason, then for the tar+gzip
// variants the first entry named plugin.wasm ("plugin.wasm not found in the archive").
ConsumerVerdict istio_like(std::string name, const Manifest& manifest, const LayoutFacts& facts, IstioLayerRule rule) {
  ConsumerVerdict v{std::move(name), false, istio_rejection_reason(manifest, rule)};
  if (!v.reason.empty()) return v;
  bool via_tar = !manifest.layers.empty() && is_tar_gzip(manifest.layers.back().media_type);
  if (via_tar && !facts.plugin_in_last_layer) {
    v.reason = "plugin.wasm not found in the archive (the last layer)";
    return v;
  }
  v.accepts = true;
  v.reason = via_tar ? "reads plugin.wasm from the " +
                           std::string(rule == IstioLayerRule::single_layer ? "only" : "last") + " layer (tar+gzip)"
                     : "reads the " + std::string(media_type::wasm_layer) + " layer of the two";
  return v;
}

// bytecodealliance/rust-oci-wasm v0.4.0 src/client.rs (wkg oci pull, wkg get, Spin's registry
// component source) and rust-oci-client validate_layers; Spin >= 3.6 `spin up -f`
// (crates/oci/src/loader.rs) accepts the same single application/wasm layer.
ConsumerVerdict spin_wkg(const Manifest& manifest) {
  ConsumerVerdict v{"spin/wkg", false, ""};
  for (const Descriptor& layer : manifest.layers) {
    if (layer.media_type != media_type::cncf_wasm_layer) {
      v.reason = "Incompatible layer media type: " + layer.media_type;
      return v;
    }
  }
  if (manifest.layers.size() != 1) {
    v.reason = "Wasm components must have exactly one layer";
    return v;
  }
  if (!manifest.media_type.empty() && manifest.media_type != media_type::oci_manifest) {
    v.reason = "Wasm components must have a manifest of type " + std::string(media_type::oci_manifest);
    return v;
  }
  if (manifest.config.media_type != media_type::cncf_wasm_config) {
    v.reason = "Wasm components must have a config of type " + std::string(media_type::cncf_wasm_config);
    return v;
  }
  v.accepts = true;
  v.reason = "the CNCF wasm layout: one " + std::string(media_type::cncf_wasm_layer) + " layer, the v0 config";
  return v;
}

std::string title_of(const Descriptor& d) {
  auto it = d.annotations.find(std::string(annotation::title));
  return it == d.annotations.end() ? std::string() : it->second;
}

// Kubernetes image volumes (KEP-4639): the runtime mounts the image's filesystem. containerd
// (internal/cri/server/container_image_mount.go, client/image.go getLayers) unpacks only tar
// layers and needs one rootfs.diff_id per layer; that is the portable rule. CRI-O >= 1.33
// mounts an artifact's layers as files named by their title (internal/ociartifact/store.go).
ConsumerVerdict image_volume(const Manifest& manifest, const LayoutFacts& facts) {
  ConsumerVerdict v{"image-volume", false, ""};
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    const Descriptor& layer = manifest.layers[i];
    if (is_tar_layer(layer.media_type)) continue;
    v.reason = "layer " + std::to_string(i) + " is " + layer.media_type +
               ", not a tar layer: containerd mounts nothing from it";
    std::string title = title_of(layer);
    if (!title.empty()) v.reason += " (CRI-O 1.33+ mounts it as the file " + title + ")";
    return v;
  }
  if (manifest.layers.empty()) {
    v.reason = "no layers: the volume would be empty";
    return v;
  }
  if (manifest.config.media_type != media_type::oci_image_config &&
      manifest.config.media_type != media_type::docker_image_config) {
    v.reason = "the config is " + manifest.config.media_type + ", not an image config with rootfs.diff_ids";
    return v;
  }
  if (facts.diff_ids && *facts.diff_ids != manifest.layers.size()) {
    v.reason = "mismatched image rootfs and manifest layers: " + std::to_string(*facts.diff_ids) + " diff_ids for " +
               std::to_string(manifest.layers.size()) + " layers";
    return v;
  }
  if (!facts.plugin_in_last_layer) {
    v.reason = "no plugin.wasm file in its layers";
    return v;
  }
  v.accepts = true;
  v.reason = "the module is the file plugin.wasm in the volume";
  return v;
}

}  // namespace

std::vector<ConsumerVerdict> judge_consumers(const Manifest& manifest, const LayoutFacts& facts) {
  return {
      istio_like("istio-1.12-1.15", manifest, facts, IstioLayerRule::single_layer),
      istio_like("istio-1.16+", manifest, facts, IstioLayerRule::last_layer),
      istio_like("envoy-gateway", manifest, facts, IstioLayerRule::last_layer),
      spin_wkg(manifest),
      image_volume(manifest, facts),
  };
}

LayoutFacts checked_facts(ArtifactFormat format) {
  LayoutFacts facts;
  facts.plugin_in_last_layer = format == ArtifactFormat::compat;
  return facts;
}

std::optional<std::string> rejected_by_all(const Manifest& manifest, const LayoutFacts& facts,
                                           const std::vector<std::string>& consumers) {
  std::string reasons;
  for (const ConsumerVerdict& verdict : judge_consumers(manifest, facts)) {
    if (std::find(consumers.begin(), consumers.end(), verdict.name) == consumers.end()) continue;
    if (verdict.accepts) return std::nullopt;
    reasons += (reasons.empty() ? "" : "; ") + verdict.name + ": " + verdict.reason;
  }
  return reasons;
}

std::vector<std::string> consumers_of_target(std::string_view target) {
  if (target == "istio") return {"istio-1.12-1.15", "istio-1.16+"};
  if (target == "envoy-gateway") return {"envoy-gateway"};
  if (target == "spin") return {"spin/wkg"};
  return {};
}

}  // namespace wasme::oci
