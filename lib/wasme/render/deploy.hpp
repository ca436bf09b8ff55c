#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wasme/render/cache.hpp"
#include "wasme/render/istio.hpp"
#include "wasme/render/wasm_plugin.hpp"
#include "wasme/render/workload.hpp"
#include "wasme/render/yaml.hpp"

namespace wasme::render {

// How the filter reaches the sidecars: EnvoyFilter + node cache, or Istio's WasmPlugin.
enum class DeployMode { envoy_filter, wasm_plugin };
// envoyfilter|wasmplugin; throws Error(usage).
DeployMode parse_deploy_mode(std::string_view text);
// The Istio version assumed when none is given and none is read from the cluster: the newest
// line the version table knows (render/istio_versions), for either mode.
IstioVersion default_istio_version();

// Everything `wasme deploy istio` was asked for.
struct IstioDeployRequest {
  ModuleFacts module;
  std::string id;
  std::string root_id;  // "": the image's first root id
  std::string config;
  Labels labels;  // -l: workload selector
  std::string namespace_name = "default";
  WorkloadKind workload_kind = WorkloadKind::deployment;
  IstioVersion istio;
  PatchContext context = PatchContext::inbound;
  std::vector<int> ports;
  DeployMode mode = DeployMode::envoy_filter;
  CacheOptions cache;  // IMAGE is added to cache.images
  WasmPluginOptions plugin;
  std::vector<std::filesystem::path> workload_files;  // -f
};

// What render mode prints: one stream for `kubectl apply -f -`, plus the patch to run by hand.
struct IstioDeployPlan {
  std::vector<Json> cache;      // Namespace, ServiceAccount, ConfigMap, DaemonSet
  std::vector<Json> manifests;  // documents of the -f files, workloads patched
  std::vector<Json> filters;    // EnvoyFilters or WasmPlugins
  // Without -f: the pod-template merge patch and the kubectl command that applies it.
  Json patch;
  std::string patch_command;
  std::vector<std::string> warnings;
  // In apply order: cache, manifests, filters.
  std::vector<Json> documents() const;
};

// Refuses what Kubernetes or Istio would reject later, naming the flag: --id, namespaces and
// the cache name must be DNS-1123 labels; WasmPlugin needs Istio 1.12+, each of its options
// the version that has its field, and they mean nothing without it. Throws Error(usage).
void check_request(const IstioDeployRequest& request);

// Renders without touching a cluster (after check_request); throws Error(usage/invalid_input)
// naming the input.
IstioDeployPlan plan_istio_deploy(const IstioDeployRequest& request);

// The filter object for one workload (nullptr: the selector from --labels, `wasme-<id>`).
Json filter_for(const IstioDeployRequest& request, const Workload* workload);
// The annotations a workload needs for this request.
Json annotations_for(const IstioDeployRequest& request, const Workload* workload);
// The root id: --root-id, else the image's first; throws Error(usage) when there is none.
std::string root_id_for(const IstioDeployRequest& request);
// A warning when the module's ABI cannot run on the Istio version ("" when it can).
std::string abi_warning(const ModuleFacts& module, const IstioVersion& istio);
// What the version will do that the request may not expect: the ABI, and for WasmPlugin the
// image layout and the traffic it runs on. Render and --apply both print these.
std::vector<std::string> deploy_warnings(const IstioDeployRequest& request);
// A warning when the Istio version's agent would refuse the image's layout ("" when not).
std::string image_layout_warning(const ModuleFacts& module, const IstioVersion& istio);

}  // namespace wasme::render
