#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/oci/manifest.hpp"
#include "wasme/render/yaml.hpp"
#include "wasme/wasm/module.hpp"

namespace wasme::render {

// The Istio minor version, which decides the EnvoyFilter's shape (wasme-facts §5).
struct IstioVersion {
  int major = 1;
  int minor = 7;
  // "1.4", "1.4.2", "v1.12" …; throws Error(usage) otherwise.
  static IstioVersion parse(std::string_view text);
  std::string str() const;
  bool at_least(int maj, int min) const { return major > maj || (major == maj && minor >= min); }
};

// Where the filter is inserted (--patch-context).
enum class PatchContext { inbound, outbound, gateway, any };
// inbound|outbound|gateway|any; throws Error(usage).
PatchContext parse_patch_context(std::string_view text);
// SIDECAR_INBOUND, SIDECAR_OUTBOUND, GATEWAY, ANY.
const char* istio_context(PatchContext context);

using Labels = std::map<std::string, std::string>;
// "k=v,k2=v2" (as kubectl -l); throws Error(usage) on a malformed pair.
Labels parse_labels(std::string_view text);
// "k=v,k2=v2" for kubectl -l.
std::string label_selector(const Labels& labels);

// What the render layer knows about a stored image: plain facts, no store access.
struct ModuleFacts {
  std::string reference;        // as written in the cache's list and WasmPlugin url
  std::string wasm_sha256;      // 64 hex: the cache's file name
  std::string manifest_digest;  // 64 hex: WasmPlugin sha256 for oci:// urls
  std::vector<std::string> root_ids;
  wasm::ProxyAbi abi = wasm::ProxyAbi::none;  // read from the module's exports
  oci::Manifest manifest;                     // the image's layout, judged by each Istio line's agent
};

// Labels and annotations that mark our objects, so undeploy finds what deploy made.
inline constexpr std::string_view managed_by_label = "app.kubernetes.io/managed-by";
inline constexpr std::string_view id_label = "wasme.io/id";
inline constexpr std::string_view image_annotation = "wasme.io/image";
inline constexpr std::string_view workload_annotation = "wasme.io/workload";  // "deployment/name"
// The pod-template annotation keys the filter needs (comma-separated), restored on undeploy.
inline constexpr std::string_view pod_annotations_annotation = "wasme.io/pod-annotations";

// One filter as deployed to one set of workloads.
struct FilterSpec {
  std::string id;
  std::string root_id;
  std::string config;  // passed to the filter as is (a string; JSON for WasmPlugin)
  IstioVersion istio;
  PatchContext context = PatchContext::inbound;
  std::vector<int> ports;  // one configPatch per port (required for Istio 1.4)
  std::string name;        // metadata.name
  std::string namespace_name;
  Labels selector;       // workloadSelector / selector; empty: the whole namespace
  std::string workload;  // "deployment/details-v1", recorded for undeploy; may be ""
  ModuleFacts module;
};

// The module's path on the node, where the cache writes it.
std::string cache_module_path(const ModuleFacts& module);

// EnvoyFilter networking.istio.io/v1alpha3 in the form the Istio version expects.
Json envoy_filter(const FilterSpec& spec);

}  // namespace wasme::render
