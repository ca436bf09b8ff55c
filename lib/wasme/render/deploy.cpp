#include "wasme/render/deploy.hpp"

#include "wasme/core/error.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/core/process.hpp"
#include "wasme/render/istio_versions.hpp"
#include "wasme/render/k8s_names.hpp"

namespace wasme::render {
namespace {

std::vector<int> ports_for(const IstioDeployRequest& request, const Workload* workload) {
  if (!request.ports.empty() || !workload) return request.ports;
  return workload->ports;
}

std::string namespace_for(const IstioDeployRequest& request, const Workload* workload) {
  return workload && !workload->namespace_name.empty() ? workload->namespace_name : request.namespace_name;
}

// `kubectl -n NS patch $(kubectl -n NS get deployment -l app=x -o name) --type=merge -p='…'`
std::string patch_command(const IstioDeployRequest& request, const Json& patch) {
  std::vector<std::string> get = {"kubectl", "-n", request.namespace_name, "get", to_string(request.workload_kind)};
  if (!request.labels.empty()) {
    get.push_back("-l");
    get.push_back(label_selector(request.labels));
  }
  get.push_back("-o");
  get.push_back("name");
  return shell_quote({"kubectl", "-n", request.namespace_name, "patch"}) + " $(" + shell_quote(get) +
         ") --type=merge -p=" + shell_quote({patch.dump()});
}

std::vector<Json> read_manifests(const std::filesystem::path& file) {
  return with_context("reading " + file.string(),
                      [&] { return parse_yaml_stream(read_file(file, 16u << 20), file.string()); });
}

}  // namespace

DeployMode parse_deploy_mode(std::string_view text) {
  if (text == "envoyfilter") return DeployMode::envoy_filter;
  if (text == "wasmplugin") return DeployMode::wasm_plugin;
  throw Error(ErrorKind::usage, "invalid mode \"" + std::string(text) + "\"",
              "use envoyfilter (any Istio, with the node cache) or wasmplugin (Istio 1.12+)");
}

std::vector<Json> IstioDeployPlan::documents() const {
  std::vector<Json> out = cache;
  out.insert(out.end(), manifests.begin(), manifests.end());
  out.insert(out.end(), filters.begin(), filters.end());
  return out;
}

std::string root_id_for(const IstioDeployRequest& request) {
  if (!request.root_id.empty()) return request.root_id;
  if (!request.module.root_ids.empty()) return request.module.root_ids.front();
  throw Error(ErrorKind::usage, "the image " + request.module.reference + " lists no root id",
              "give the filter's root id with --root-id");
}

Json filter_for(const IstioDeployRequest& request, const Workload* workload) {
  FilterSpec spec;
  spec.id = request.id;
  spec.root_id = root_id_for(request);
  spec.config = request.config;
  spec.istio = request.istio;
  spec.context = request.context;
  spec.ports = request.mode == DeployMode::wasm_plugin ? request.ports : ports_for(request, workload);
  spec.name = (workload ? workload->name : std::string("wasme")) + "-" + request.id;
  spec.namespace_name = namespace_for(request, workload);
  spec.selector = workload && request.labels.empty() ? workload->template_labels : request.labels;
  spec.workload = workload ? workload->ref() : "";
  spec.module = request.module;
  if (request.mode == DeployMode::wasm_plugin) return wasm_plugin(spec, request.plugin);
  return envoy_filter(spec);
}

Json annotations_for(const IstioDeployRequest& request, const Workload* workload) {
  return required_annotations(request.istio, ports_for(request, workload));
}

std::string abi_warning(const ModuleFacts& module, const IstioVersion& istio) {
  if (istio_runs_abi(istio, module.abi)) return "";
  std::string abi = wasm::to_string(module.abi);
  switch (module.abi) {
    case wasm::ProxyAbi::none: return "the module exports no proxy-wasm ABI; Envoy will refuse it";
    case wasm::ProxyAbi::pre_0_1_0:
      return "the module has snake_case callbacks but no proxy_abi_version_* export (pre-0.1.0): "
             "no Istio release loads it; rebuild it with a proxy-wasm SDK";
    case wasm::ProxyAbi::istio_1_4:
      return "the module has Istio 1.4's camelCase ABI; Istio " + istio.str() +
             " runs modules built for proxy-wasm ABI 0.1.0 or later";
    default: break;
  }
  if (!istio.at_least(1, 5)) {
    return "the module exports proxy-wasm ABI " + abi +
           ", which Istio 1.4's proxy cannot run; rebuild it with the Istio 1.4 SDK";
  }
  return "the module exports proxy-wasm ABI " + abi + ", which Istio runs from " + first_istio_for_abi(module.abi) +
         " on, not " + istio.str() + "; pass that --istio-version if the mesh has it, or rebuild with an older SDK";
}

std::string image_layout_warning(const ModuleFacts& module, const IstioVersion& istio) {
  std::string reason = istio_fit(module.abi, module.manifest, istio).pull_rejection;
  if (reason.empty()) return "";
  return "Istio " + istio.str() + "'s agent will not pull " + module.reference + ": " + reason;
}

namespace {

// What the WasmPlugin checks need of a request before any workload or image is known.
FilterSpec plugin_traffic_spec(const IstioDeployRequest& request) {
  FilterSpec spec;
  spec.istio = request.istio;
  spec.context = request.context;
  spec.ports = request.ports;
  spec.selector = request.labels;
  return spec;
}

}  // namespace

IstioVersion default_istio_version() { return newest_istio_version(); }

std::vector<std::string> deploy_warnings(const IstioDeployRequest& request) {
  std::vector<std::string> all = {abi_warning(request.module, request.istio)};
  if (request.mode == DeployMode::wasm_plugin) {
    all.push_back(image_layout_warning(request.module, request.istio));
    all.push_back(plugin_traffic_warning(plugin_traffic_spec(request)));
  }
  std::vector<std::string> out;
  for (auto& w : all) {
    if (!w.empty()) out.push_back(std::move(w));
  }
  return out;
}

// A container image the kubelet can pull: what the image reference grammar accepts.
void check_image(const std::string& image, const std::string& flag) {
  try {
    oci::Reference::parse(image);
  } catch (const Error& e) {
    throw Error(ErrorKind::usage, flag + ": " + e.what(), "e.g. ghcr.io/org/wasme:0.2.0");
  }
}

void check_request(const IstioDeployRequest& request) {
  check_dns_label(request.id, "--id");
  check_dns_label(request.namespace_name, "--namespace");
  for (const auto& [key, value] : request.labels) {
    check_label_key(key, "--labels");
    check_label_value(value, "--labels");
  }
  if (!request.plugin.image_pull_secret.empty())
    check_dns_subdomain(request.plugin.image_pull_secret, "--image-pull-secret");
  if (request.mode == DeployMode::wasm_plugin) {
    check_plugin_options(plugin_traffic_spec(request), request.plugin);
    return;
  }
  check_dns_label(request.cache.namespace_name, "--cache-namespace");
  check_dns_label(request.cache.name, "--cache-name");
  check_image(request.cache.image, "--cache-image");
  if (request.cache.pull_secret) check_dns_subdomain(*request.cache.pull_secret, "--cache-pull-secret");
  const WasmPluginOptions& p = request.plugin;
  const char* plugin_only = !p.phase.empty()               ? "--phase"
                            : p.priority                   ? "--priority"
                            : !p.image_pull_policy.empty() ? "--image-pull-policy"
                            : !p.image_pull_secret.empty() ? "--image-pull-secret"
                            : !p.fail_strategy.empty()     ? "--fail-strategy"
                            : !p.type.empty()              ? "--type"
                            : !p.targets.empty()           ? "--target-ref"
                            : !p.vm_env.empty()            ? "--vm-env"
                                                           : nullptr;
  if (plugin_only) {
    throw Error(ErrorKind::usage, std::string(plugin_only) + " is a WasmPlugin option", "add --mode wasmplugin");
  }
}

IstioDeployPlan plan_istio_deploy(const IstioDeployRequest& request) {
  check_request(request);
  IstioDeployPlan plan;
  plan.warnings = deploy_warnings(request);
  bool envoy_filter_mode = request.mode == DeployMode::envoy_filter;
  if (envoy_filter_mode) {
    CacheOptions cache = request.cache;
    cache.images.push_back(request.module.reference);
    plan.cache = cache_objects(cache);
    plan.warnings.push_back("applying this ConfigMap replaces the cache's image list; --apply adds " +
                            request.module.reference + " to the list already in the cluster");
  }
  for (const auto& file : request.workload_files) {
    size_t workloads = 0;
    for (Json doc : read_manifests(file)) {
      if (!is_workload(doc)) {
        if (envoy_filter_mode) plan.manifests.push_back(doc);
        continue;
      }
      Workload w = with_context(file.string(), [&] { return read_workload(doc); });
      ++workloads;
      plan.filters.push_back(filter_for(request, &w));
      if (!envoy_filter_mode) continue;
      Json changes = annotation_changes(w.annotations, annotations_for(request, &w));
      plan.manifests.push_back(merge_patch(doc, template_patch(changes)));
    }
    if (workloads == 0) {
      throw Error(ErrorKind::invalid_input, file.string() + ": no Deployment, DaemonSet or StatefulSet",
                  "-f takes the manifests of the workloads that get the filter");
    }
  }
  if (!request.workload_files.empty()) return plan;
  plan.filters.push_back(filter_for(request, nullptr));
  if (envoy_filter_mode) {
    plan.patch = template_patch(annotations_for(request, nullptr));
    plan.patch_command = patch_command(request, plan.patch);
    plan.warnings.push_back(
        "this patch replaces existing values of these annotations; --apply or -f "
        "merges them with what the workloads already have");
  }
  return plan;
}

}  // namespace wasme::render
