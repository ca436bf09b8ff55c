#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wasme/render/istio.hpp"
#include "wasme/render/yaml.hpp"

namespace wasme::render {

// What a WasmPlugin attaches to by reference (--target-ref KIND/NAME): Gateway, Service, and
// ServiceEntry from Istio 1.24.
struct IstioTarget {
  std::string kind;
  std::string name;
  // "KIND/NAME"; throws Error(usage) naming the kinds.
  static IstioTarget parse(std::string_view text);
};

// WasmPlugin extensions.istio.io/v1alpha1 options beyond FilterSpec. Each needs the Istio
// line that has its field (render/istio_versions).
struct WasmPluginOptions {
  std::string image_pull_policy;  // IfNotPresent | Always | "" (Istio's default)
  std::string image_pull_secret;
  std::string phase;  // AUTHN | AUTHZ | STATS | ""
  std::optional<int> priority;
  std::string fail_strategy;                                // FAIL_CLOSE | FAIL_OPEN | FAIL_RELOAD | "" (1.19+)
  std::string type;                                         // HTTP | NETWORK | "" (1.20+)
  std::vector<IstioTarget> targets;                         // targetRef 1.20, targetRefs 1.22
  std::vector<std::pair<std::string, std::string>> vm_env;  // vmConfig.env (1.14+)
};

// Refuses options the Istio version lacks, naming the version that has them, and values
// outside their enums. Throws Error(usage).
void check_plugin_options(const FilterSpec& spec, const WasmPluginOptions& options);
// Warnings for what the version will do that the flags did not ask for ("" when none).
std::string plugin_traffic_warning(const FilterSpec& spec);

// WasmPlugin (Istio 1.12+): pulled by the sidecar agent from oci://, no cache needed. Fields
// only as spec.istio has them. --config must be a JSON object here (pluginConfig); throws
// Error(invalid_input) otherwise.
Json wasm_plugin(const FilterSpec& spec, const WasmPluginOptions& options);

}  // namespace wasme::render
