#pragma once
#include <cstdint>
#include <string>

#include <optional>
#include <string_view>

#include "wasme/oci/cncf_config.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/oci/runtime_config.hpp"

namespace wasme::oci {

// The wasme artifact exactly as wasme-facts §2: the config blob (config.serialize()) as
// `config` and again as layer 0, then the wasm layer; title annotations, and manifest
// annotations abi_version (comma-joined, "" when none: the original always wrote the key)
// and type. No timestamps: the same inputs give byte-identical serialize() output.
Manifest make_wasm_manifest(const RuntimeConfig& config, const Digest& wasm_digest, std::uint64_t wasm_size,
                            const std::string& wasm_title = "filter.wasm");

// The CNCF wasm layout (docs/LAYOUTS.md): the config (config.serialize()) and one
// application/wasm layer titled plugin.wasm (the title is the file name CRI-O gives it when
// it mounts the image as a volume, cri-o internal/ociartifact/store.go), as
// bytecodealliance/rust-oci-wasm's WasmClient::push writes it; the manifest annotations
// abi_version and type as in the wasme artifact, so a conversion back keeps them.
Manifest make_cncf_manifest(const CncfConfig& config, const RuntimeConfig& runtime, const Digest& wasm_digest,
                            std::uint64_t wasm_size);

// The shape of an image's manifest, as far as finding the module is concerned.
enum class ArtifactFormat {
  wasme,      // current wasme format (config + wasm layer)
  solo_2019,  // application/vnd.io.solo.wasm.*
  compat,     // last layer tar+gzip with plugin.wasm
  cncf,       // CNCF wasm layout: one application/wasm layer
  unknown,
};
const char* to_string(ArtifactFormat format);
// "wasme", "compat", "cncf" (and "solo_2019" as a source only); nullopt for anything else.
std::optional<ArtifactFormat> format_from_string(std::string_view name);

// Where the module is in a manifest, and its config (if any).
struct ArtifactLayout {
  ArtifactFormat format = ArtifactFormat::unknown;
  Descriptor module_layer;  // the wasm layer, or the tar+gzip layer for compat
  bool has_config = false;
  Descriptor config_layer;  // wasme: config blob; solo_2019: config.json; compat: runtime-config
                            // is inside the tar, so has_config is false; cncf: the v0 config
};
// Classifies a manifest, first match wins: a wasm content layer (wasme), a solo code layer
// (solo_2019), an application/wasm layer (cncf; also `oras push f.wasm:application/wasm`
// images without the v0 config: has_config is then false), a last layer OCI/Docker tar+gzip
// (compat; plugin.wasm inside is checked by whoever extracts it). Throws
// Error(invalid_input) listing the layers and what was expected.
ArtifactLayout classify(const Manifest& manifest);

// How an Istio line's agent reads tar+gzip (docker and compat) images
// (istio/istio pkg/wasm/imagefetcher.go). The two-layer wasme artifact is read the same way
// by every line that fetches.
enum class IstioLayerRule {
  no_fetcher,    // before 1.12: no WasmPlugin, nothing pulls images
  single_layer,  // 1.12–1.15: exactly one layer ("number of layers must be 1 but got N")
  last_layer,    // 1.16+: the last layer; the others are ignored
};

// Would Istio's agent (pkg/wasm/imagefetcher.go, wasme-facts §2.3) accept this manifest?
// Returns "" when accepted, else the reason, in Istio's words where it has them ("number of
// layers must be 2 but got 1"). Only the manifest is judged: for the tar+gzip variants Istio
// also needs plugin.wasm inside the layer, which image::extract_plugin_wasm checks.
std::string istio_rejection_reason(const Manifest& manifest, IstioLayerRule rule = IstioLayerRule::last_layer);

}  // namespace wasme::oci
