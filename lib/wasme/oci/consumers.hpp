#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/oci/artifact.hpp"
#include "wasme/oci/manifest.hpp"

// Which consumers accept an image's layout, each by its own rules as read in its source
// (docs/LAYOUTS.md has the table and the citations). Pure: the caller gathers the facts.
namespace wasme::oci {

// What the rules need beyond the manifest.
struct LayoutFacts {
  // A file plugin.wasm in the last layer's tar (what Istio and Envoy Gateway untar, and what an
  // image volume shows). Only meaningful when the last layer is a tar.
  bool plugin_in_last_layer = false;
  // The image config's rootfs.diff_ids count; nullopt when the config is not an image config
  // or was not read.
  std::optional<std::size_t> diff_ids;
};

struct ConsumerVerdict {
  std::string name;  // "istio-1.12-1.15", "istio-1.16+", "envoy-gateway", "spin/wkg", "image-volume"
  bool accepts = false;
  std::string reason;  // why (or why not), in the consumer's own words where it has them
};

// Every consumer, in the order above.
std::vector<ConsumerVerdict> judge_consumers(const Manifest& manifest, const LayoutFacts& facts);

// What an image wasme has checked (image::validate_artifact) is known to hold without reading
// more: plugin.wasm in the last layer when it is compat; diff_ids not read.
LayoutFacts checked_facts(ArtifactFormat format);

// Why none of `consumers` (judge_consumers names) accepts the manifest, as
// "name: reason; name: reason"; nullopt when one of them does.
std::optional<std::string> rejected_by_all(const Manifest& manifest, const LayoutFacts& facts,
                                           const std::vector<std::string>& consumers);

// The consumers a `--for` target stands for: istio (both lines), envoy-gateway, spin.
// Empty for an unknown target.
std::vector<std::string> consumers_of_target(std::string_view target);

}  // namespace wasme::oci
