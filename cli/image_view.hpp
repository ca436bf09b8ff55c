#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "wasme/image/summary.hpp"
#include "wasme/render/istio_versions.hpp"

namespace wasme::cli {

// The stable JSON keys scripts rely on: reference, manifestDigest, wasmDigest, size,
// rootIds, abiVersions, moduleAbi, istioAccepts (for istio, by default the newest line; and
// istioRejection when it does not accept the image), and a few more.
nlohmann::json image_json(const image::ImageSummary& image,
                          const render::IstioVersion& istio = render::newest_istio_version());

// "name" and "tag" columns of a reference: localhost:5000/team/filter and v1 (or the digest).
std::string reference_name(const oci::Reference& reference);
std::string reference_tag(const oci::Reference& reference);

// "a, b" or "-" when empty.
std::string join_or_dash(const std::vector<std::string>& items);

}  // namespace wasme::cli
