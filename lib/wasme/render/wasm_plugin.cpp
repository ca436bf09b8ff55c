#include "wasme/render/wasm_plugin.hpp"

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/render/istio_versions.hpp"
#include "wasme/render/k8s_names.hpp"

namespace wasme::render {
namespace {

struct TargetKind {
  const char* kind;
  const char* group;
  int since_minor;
};
// istio/api type/v1beta1/selector.proto PolicyTargetReference; Gateway from 1.20, Service as
// the 1.23 CRD first lists it (with Gateway), ServiceEntry from the 1.24 CRD
// (istio/istio manifests/charts/base CRDs of those release branches).
constexpr TargetKind target_kinds[] = {
    {"Gateway", "gateway.networking.k8s.io", 20},
    {"Service", "", 23},
    {"ServiceEntry", "networking.istio.io", 24},
};

const TargetKind* find_kind(const std::string& kind) {
  for (const auto& k : target_kinds) {
    if (kind == k.kind) return &k;
  }
  return nullptr;
}

void check_member(const std::string& value, std::initializer_list<const char*> allowed, const char* flag) {
  if (value.empty()) return;
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw Error(ErrorKind::usage, std::string("invalid ") + flag + " \"" + value + "\"", "use one of " + list);
}

[[noreturn]] void needs(const std::string& what, int minor, const IstioVersion& istio) {
  throw Error(ErrorKind::usage, what + " needs Istio 1." + std::to_string(minor) + " or later, not " + istio.str(),
              "pass --istio-version 1." + std::to_string(minor) + " (or later) if the mesh runs it");
}

void check_traffic(const FilterSpec& spec, const IstioLine& line) {
  if (line.plugin == PluginTraffic::match_field) return;
  if (!spec.ports.empty()) needs("--port (WasmPlugin match.ports)", 16, spec.istio);
  bool all_http = line.plugin == PluginTraffic::all_http;
  bool allowed = spec.context == PatchContext::inbound || spec.context == PatchContext::gateway ||
                 (all_http && spec.context == PatchContext::any);
  if (!allowed) {
    needs(std::string("--patch-context ") + (spec.context == PatchContext::any ? "any" : "outbound") +
              " (WasmPlugin match.mode)",
          16, spec.istio);
  }
}

Json plugin_match(const FilterSpec& spec) {
  const char* mode = spec.context == PatchContext::inbound    ? "SERVER"
                     : spec.context == PatchContext::outbound ? "CLIENT"
                                                              : "CLIENT_AND_SERVER";
  Json match = {{"mode", mode}};
  if (!spec.ports.empty()) {
    Json ports = Json::array();
    for (int port : spec.ports) ports.push_back({{"number", port}});
    match["ports"] = ports;
  }
  return Json::array({match});
}

Json target_json(const IstioTarget& target) {
  const TargetKind* kind = find_kind(target.kind);
  return {{"group", kind ? kind->group : ""}, {"kind", target.kind}, {"name", target.name}};
}

}  // namespace

IstioTarget IstioTarget::parse(std::string_view text) {
  KindName parts = split_kind_name(text);
  IstioTarget target{parts.kind, parts.name};
  if (!find_kind(target.kind)) {
    throw Error(ErrorKind::usage, "invalid --target-ref \"" + std::string(text) + "\"",
                "write KIND/NAME with KIND one of Gateway, Service, ServiceEntry, e.g. --target-ref "
                "Gateway/waypoint");
  }
  check_dns_subdomain(target.name, "the name in --target-ref " + std::string(text));
  return target;
}

void check_plugin_options(const FilterSpec& spec, const WasmPluginOptions& options) {
  const IstioLine& line = istio_line(spec.istio);
  if (line.plugin == PluginTraffic::none) {
    throw Error(ErrorKind::usage, "--mode wasmplugin needs Istio 1.12 or later, not " + spec.istio.str(),
                "pass --istio-version 1.12 (or later), or use --mode envoyfilter");
  }
  check_member(options.image_pull_policy, {"IfNotPresent", "Always"}, "--image-pull-policy");
  check_member(options.phase, {"AUTHN", "AUTHZ", "STATS"}, "--phase");
  check_traffic(spec, line);
  if (!options.vm_env.empty() && !line.fields.vm_config) needs("--vm-env (WasmPlugin vmConfig)", 14, spec.istio);
  if (!options.fail_strategy.empty()) {
    if (!line.fields.fail_strategy) needs("--fail-strategy", 19, spec.istio);
    if (options.fail_strategy == "FAIL_RELOAD" && !line.fields.fail_reload) needs("FAIL_RELOAD", 27, spec.istio);
    check_member(options.fail_strategy, {"FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"}, "--fail-strategy");
  }
  if (!options.type.empty()) {
    if (!line.fields.type) needs("--type", 20, spec.istio);
    check_member(options.type, {"HTTP", "NETWORK"}, "--type");
  }
  if (options.targets.empty()) return;
  if (!line.fields.target_ref) needs("--target-ref", 20, spec.istio);
  if (options.targets.size() > 1 && !line.fields.target_refs) needs("more than one --target-ref", 22, spec.istio);
  if (!spec.selector.empty()) {
    throw Error(ErrorKind::usage, "--target-ref and --labels both select workloads",
                "give one: --target-ref for gateways and waypoints, --labels for sidecars");
  }
  for (const auto& target : options.targets) {
    const TargetKind* kind = find_kind(target.kind);
    if (kind && !spec.istio.at_least(1, kind->since_minor)) {
      needs("--target-ref " + target.kind + "/…", kind->since_minor, spec.istio);
    }
  }
}

std::string plugin_traffic_warning(const FilterSpec& spec) {
  if (istio_line(spec.istio).plugin != PluginTraffic::all_http || spec.context == PatchContext::any) return "";
  return "Istio " + spec.istio.str() +
         " runs a WasmPlugin on all HTTP traffic of the selected workloads, "
         "outbound too, and has no match field to limit it (1.16 added one)";
}

Json wasm_plugin(const FilterSpec& spec, const WasmPluginOptions& options) {
  if (spec.id.empty()) throw Error(ErrorKind::usage, "--id is required", "name the filter, e.g. --id add-header");
  check_plugin_options(spec, options);
  if (spec.module.manifest_digest.size() != 64) {
    throw Error(ErrorKind::invalid_input, "the image's manifest digest is missing");
  }
  const IstioLine& line = istio_line(spec.istio);
  Json body = Json::object();
  if (!spec.selector.empty()) body["selector"] = {{"matchLabels", spec.selector}};
  if (options.targets.size() == 1 && !line.fields.target_refs) {
    body["targetRef"] = target_json(options.targets.front());
  } else if (!options.targets.empty()) {
    Json refs = Json::array();
    for (const auto& target : options.targets) refs.push_back(target_json(target));
    body["targetRefs"] = refs;
  }
  // For oci:// urls the agent compares sha256 with the manifest digest (pkg/wasm/cache.go).
  body["url"] = "oci://" + spec.module.reference;
  body["sha256"] = spec.module.manifest_digest;
  if (!options.image_pull_policy.empty()) body["imagePullPolicy"] = options.image_pull_policy;
  if (!options.image_pull_secret.empty()) body["imagePullSecret"] = options.image_pull_secret;
  if (!spec.root_id.empty()) body["pluginName"] = spec.root_id;
  if (!spec.config.empty()) {
    Json config = parse_json_limited<Json>(spec.config, "--config");
    if (config.is_discarded()) {
      throw Error(ErrorKind::invalid_input, "--config is not valid JSON: " + json_syntax_error(spec.config),
                  "WasmPlugin passes pluginConfig as a structured object, e.g. --config '{\"value\":\"hi\"}'");
    }
    if (!config.is_object()) {
      throw Error(ErrorKind::invalid_input, "--config for a WasmPlugin must be a JSON object",
                  "WasmPlugin passes pluginConfig as a structured object, e.g. --config '{\"value\":\"hi\"}'");
    }
    body["pluginConfig"] = config;
  }
  if (!options.phase.empty()) body["phase"] = options.phase;
  if (options.priority) body["priority"] = *options.priority;
  if (!options.vm_env.empty()) {
    Json env = Json::array();
    for (const auto& [name, value] : options.vm_env) env.push_back({{"name", name}, {"value", value}});
    body["vmConfig"] = {{"env", env}};
  }
  // From 1.16 an empty match means all traffic, outbound too: say which (extensions.go).
  if (line.plugin == PluginTraffic::match_field && options.targets.empty()) body["match"] = plugin_match(spec);
  // A targeted plugin (gateways, waypoints) runs on what it targets; ports may narrow it.
  if (!options.targets.empty() && !spec.ports.empty()) body["match"] = {{{"ports", plugin_match(spec)[0]["ports"]}}};
  if (!options.fail_strategy.empty()) body["failStrategy"] = options.fail_strategy;
  if (!options.type.empty()) body["type"] = options.type;
  Json meta = {{"name", spec.name}};
  if (!spec.namespace_name.empty()) meta["namespace"] = spec.namespace_name;
  meta["labels"] = {{managed_by_label, "wasme"}, {id_label, spec.id}};
  meta["annotations"] = {{image_annotation, spec.module.reference}};
  return {{"apiVersion", "extensions.istio.io/v1alpha1"}, {"kind", "WasmPlugin"}, {"metadata", meta}, {"spec", body}};
}

}  // namespace wasme::render
