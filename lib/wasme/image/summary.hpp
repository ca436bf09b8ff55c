#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "wasme/oci/artifact.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/oci/runtime_config.hpp"
#include "wasme/store/store.hpp"
#include "wasme/wasm/module.hpp"

namespace wasme::image {

// The facts about a stored image that list, inspect, push, deploy and the cache report.
struct ImageSummary {
  oci::Reference reference;
  oci::Digest manifest_digest;
  std::string manifest_media_type;
  oci::ArtifactFormat format = oci::ArtifactFormat::unknown;
  oci::Digest wasm_digest;  // sha256 of the raw .wasm bytes (the cache's file name)
  std::uint64_t wasm_size = 0;
  oci::RuntimeConfig config;  // empty when the image carries none
  wasm::ProxyAbi module_abi = wasm::ProxyAbi::none;
  oci::Manifest manifest;  // the layout, which each Istio line's agent judges (oci::istio_rejection_reason)
};

// Every blob these functions read is checked against its digest where it is read (the
// module's too, whole): a damaged or missing one is an error
//   reading image "r/x:v1": blob sha256:… is corrupt (its content does not match its digest);
//   run "wasme pull r/x:v1" to repair it
// (Error(integrity); not_found for a missing blob), never a digest the manifest merely claims.

// Summarizes a stored image; throws not_found when the store does not have it.
ImageSummary summarize(const store::Store& store, const oci::Reference& reference);

// summarize, with what inspect shows besides: the module's imports and exports, and the file
// holding it (the verified blob, or plugin.wasm extracted into scratch_dir).
struct ImageDetail {
  ImageSummary image;
  std::filesystem::path module_file;
  wasm::ModuleInfo module;
};
ImageDetail read_image(const store::Store& store, const oci::Reference& reference,
                       const std::filesystem::path& scratch_dir);

// Checks every blob of a stored image (manifest, config, every layer) against its digest,
// with the error above. For whoever hands them all on (push).
void verify_image(const store::Store& store, const oci::Reference& reference);

// The path of a file holding the module's raw bytes: the (verified) wasm blob itself, or for
// a compat image plugin.wasm extracted from the verified layer into scratch_dir.
std::filesystem::path module_file(const store::Store& store, const oci::Reference& reference,
                                  const std::filesystem::path& scratch_dir);

// A file that keeps holding the module's raw bytes, for a config that names it (Envoy's
// bootstrap): the wasm blob for wasme images, verified first; for a compat image plugin.wasm,
// extracted once into modules_dir/<sha256 hex> and checked against the image's wasm digest.
std::filesystem::path lasting_module_file(const store::Store& store, const ImageSummary& image,
                                          const std::filesystem::path& modules_dir);

}  // namespace wasme::image
