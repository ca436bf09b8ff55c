#pragma once
#include <optional>
#include <string>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "wasme/image/summary.hpp"
#include "wasme/render/istio.hpp"

namespace wasme::cli {

// The image deploy needs: from the store, pulled first (with the registry flags) when missing.
// With verify_key (a cosign public key), the registry's signatures must name the digest
// used, before anything is pulled or rendered.
image::ImageSummary resolve_image(const std::string& reference, const StoreOption& store, const RegistryFlags& registry,
                                  const GlobalOptions& globals, const std::string& verify_key = "");

// Why `consumer` (an oci::judge_consumers name, e.g. "envoy-gateway") will not fetch the
// image, as a warning; nullopt when it will.
std::optional<std::string> layout_warning(const image::ImageSummary& image, const std::string& consumer,
                                          const std::string& who);

// The plain facts the render layer works from.
render::ModuleFacts module_facts(const image::ImageSummary& image);

}  // namespace wasme::cli
