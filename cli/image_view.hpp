#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "wasme/image/summary.hpp"

namespace wasme::cli {

// The stable JSON keys scripts rely on: reference, manifestDigest, wasmDigest, size,
// rootIds, abiVersions, moduleAbi, istioAccepts (and a few more).
nlohmann::json image_json(const image::ImageSummary& image);

// "name" and "tag" columns of a reference: localhost:5000/team/filter and v1 (or the digest).
std::string reference_name(const oci::Reference& reference);
std::string reference_tag(const oci::Reference& reference);

// "a, b" or "-" when empty.
std::string join_or_dash(const std::vector<std::string>& items);

}  // namespace wasme::cli
