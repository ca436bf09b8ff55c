#include "wasme/render/istio.hpp"

#include <cctype>

#include "wasme/core/error.hpp"
#include "wasme/render/k8s_names.hpp"
#include "wasme/render/cache.hpp"
#include "wasme/render/istio_versions.hpp"

namespace wasme::render {
namespace {

const char* const wasm_filter_name = "envoy.filters.http.wasm";
const char* const wasm_runtime = "envoy.wasm.runtime.v8";
const char* const pod_keys_1_5 = "sidecar.istio.io/userVolume,sidecar.istio.io/userVolumeMount";
const char* const pod_keys_1_4 =
    "sidecar.istio.io/userVolume,sidecar.istio.io/userVolumeMount,sidecar.istio.io/interceptionMode,"
    "traffic.sidecar.istio.io/includeInboundPorts";

int parse_number(std::string_view text, std::string_view whole) {
  if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    throw Error(ErrorKind::usage, "invalid Istio version \"" + std::string(whole) + "\"",
                "give MAJOR.MINOR, e.g. --istio-version 1.4 or 1.20");
  }
  return std::stoi(std::string(text));
}

Json metadata(const FilterSpec& spec) {
  Json m = {{"name", spec.name}};
  if (!spec.namespace_name.empty()) m["namespace"] = spec.namespace_name;
  m["labels"] = {{managed_by_label, "wasme"}, {id_label, spec.id}};
  Json annotations = {{image_annotation, spec.module.reference}};
  if (!spec.workload.empty()) annotations[workload_annotation] = spec.workload;
  annotations[pod_annotations_annotation] = spec.istio.at_least(1, 5) ? pod_keys_1_5 : pod_keys_1_4;
  m["annotations"] = annotations;
  return m;
}

Json vm_code(const FilterSpec& spec) { return {{"local", {{"filename", cache_module_path(spec.module)}}}}; }

// Istio 1.4, exactly the seed's shape (snake_case fields, code.filename).
Json value_1_4(const FilterSpec& spec) {
  Json config = {{"name", spec.id}, {"root_id", spec.root_id}};
  if (!spec.config.empty()) config["configuration"] = spec.config;
  config["vm_config"] = {{"runtime", wasm_runtime}, {"code", {{"filename", cache_module_path(spec.module)}}}};
  return {{"name", wasm_filter_name}, {"config", {{"config", config}}}};
}

Json plugin_config(const FilterSpec& spec, const Json& configuration) {
  Json config = {{"name", spec.id}, {"rootId", spec.root_id}};
  if (!configuration.is_null()) config["configuration"] = configuration;
  config["vmConfig"] = {{"vmId", spec.id}, {"runtime", wasm_runtime}, {"code", vm_code(spec)}};
  return config;
}

// Istio 1.5 and 1.6: camelCase struct config, code.local.filename; configuration is a string
// (wasm/v2 and v3 PluginConfig of those proxies).
Json value_1_5(const FilterSpec& spec) {
  Json configuration = spec.config.empty() ? Json() : Json(spec.config);
  return {{"name", wasm_filter_name}, {"config", {{"config", plugin_config(spec, configuration)}}}};
}

// The v3 Wasm message's configuration: a google.protobuf.Any holding a StringValue (from the
// Istio 1.7 proxy on, extensions/wasm/v3/wasm.proto).
Json string_value(const std::string& config) {
  if (config.empty()) return Json();
  return {{"@type", "type.googleapis.com/google.protobuf.StringValue"}, {"value", config}};
}

// Istio 1.7: a TypedStruct wrapping envoy.extensions.filters.http.wasm.v3.Wasm, since 1.7's
// pilot cannot resolve the v3 Wasm type itself (its go-control-plane predates it).
Json value_typed_struct(const FilterSpec& spec) {
  return {{"name", wasm_filter_name},
          {"typedConfig",
           {{"@type", "type.googleapis.com/udpa.type.v1.TypedStruct"},
            {"typeUrl", "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"},
            {"value", {{"config", plugin_config(spec, string_value(spec.config))}}}}}};
}

// Istio 1.8+: the v3 Wasm message itself, which pilot then validates field by field.
Json value_typed_wasm(const FilterSpec& spec) {
  return {{"name", wasm_filter_name},
          {"typedConfig",
           {{"@type", "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"},
            {"config", plugin_config(spec, string_value(spec.config))}}}};
}

Json filter_value(const FilterSpec& spec, FilterConfigForm form) {
  switch (form) {
    case FilterConfigForm::seed_1_4: return value_1_4(spec);
    case FilterConfigForm::struct_1_5: return value_1_5(spec);
    case FilterConfigForm::typed_struct: return value_typed_struct(spec);
    case FilterConfigForm::typed_wasm: return value_typed_wasm(spec);
  }
  return value_typed_wasm(spec);
}

Json config_patch(const FilterSpec& spec, const IstioLine& line, std::optional<int> port, const Json& value) {
  Json listener = Json::object();
  if (port) listener["portNumber"] = *port;
  listener["filterChain"] = {
      {"filter", {{"name", line.http_connection_manager}, {"subFilter", {{"name", line.router}}}}}};
  return {{"applyTo", "HTTP_FILTER"},
          {"match", {{"context", istio_context(spec.context)}, {"listener", listener}}},
          {"patch", {{"operation", "INSERT_BEFORE"}, {"value", value}}}};
}

void check_spec(const FilterSpec& spec) {
  if (spec.id.empty()) throw Error(ErrorKind::usage, "--id is required", "name the filter, e.g. --id add-header");
  if (spec.root_id.empty()) {
    throw Error(ErrorKind::usage, "no root id: the image lists none", "give --root-id");
  }
  if (spec.module.wasm_sha256.size() != 64) {
    throw Error(ErrorKind::invalid_input, "the module's sha256 is missing");
  }
}

}  // namespace

IstioVersion IstioVersion::parse(std::string_view text) {
  std::string_view rest = text;
  if (!rest.empty() && (rest[0] == 'v' || rest[0] == 'V')) rest.remove_prefix(1);
  auto dot = rest.find('.');
  if (dot == std::string_view::npos) parse_number("", text);
  IstioVersion v;
  v.major = parse_number(rest.substr(0, dot), text);
  std::string_view tail = rest.substr(dot + 1);
  v.minor = parse_number(tail.substr(0, tail.find_first_of(".-")), text);
  if (!v.at_least(1, 4)) {
    throw Error(ErrorKind::usage, "Istio " + v.str() + " cannot run wasm filters",
                "Istio 1.4 is the first version with wasm support");
  }
  return v;
}

std::string IstioVersion::str() const { return std::to_string(major) + "." + std::to_string(minor); }

PatchContext parse_patch_context(std::string_view text) {
  if (text == "inbound") return PatchContext::inbound;
  if (text == "outbound") return PatchContext::outbound;
  if (text == "gateway") return PatchContext::gateway;
  if (text == "any") return PatchContext::any;
  throw Error(ErrorKind::usage, "invalid patch context \"" + std::string(text) + "\"",
              "use inbound, outbound, gateway or any");
}

const char* istio_context(PatchContext context) {
  switch (context) {
    case PatchContext::inbound: return "SIDECAR_INBOUND";
    case PatchContext::outbound: return "SIDECAR_OUTBOUND";
    case PatchContext::gateway: return "GATEWAY";
    case PatchContext::any: return "ANY";
  }
  return "ANY";
}

Labels parse_labels(std::string_view text) {
  Labels labels;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view pair = text.substr(0, comma);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw Error(ErrorKind::usage, "invalid label \"" + std::string(pair) + "\"",
                  "write labels as key=value[,key2=value2]");
    }
    std::string key(pair.substr(0, eq)), value(pair.substr(eq + 1));
    check_label_key(key, "--labels");
    check_label_value(value, "--labels");
    labels[key] = value;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return labels;
}

std::string label_selector(const Labels& labels) {
  std::string out;
  for (const auto& [key, value] : labels) out += (out.empty() ? "" : ",") + key + "=" + value;
  return out;
}

std::string cache_module_path(const ModuleFacts& module) {
  return std::string(cache_directory) + "/" + module.wasm_sha256;
}

Json envoy_filter(const FilterSpec& spec) {
  check_spec(spec);
  const IstioLine& line = istio_line(spec.istio);
  if (line.form == FilterConfigForm::seed_1_4 && spec.ports.empty()) {
    throw Error(ErrorKind::usage, "Istio 1.4 loads wasm filters only on listeners named by port",
                "give the workload's container ports with --port, or its manifest with -f");
  }
  Json value = filter_value(spec, line.form);
  // Where portNumber cannot select inbound traffic (1.5), one patch without it covers every
  // inbound filter chain; a port would match only listeners that carry no traffic.
  bool reaches_inbound = spec.context == PatchContext::inbound || spec.context == PatchContext::any;
  bool by_port = line.inbound_port_match || !reaches_inbound;
  Json patches = Json::array();
  if (spec.ports.empty() || !by_port) patches.push_back(config_patch(spec, line, std::nullopt, value));
  if (by_port) {
    for (int port : spec.ports) patches.push_back(config_patch(spec, line, port, value));
  }
  Json body = Json::object();
  if (!spec.selector.empty()) body["workloadSelector"] = {{"labels", spec.selector}};
  body["configPatches"] = patches;
  return {{"apiVersion", "networking.istio.io/v1alpha3"},
          {"kind", "EnvoyFilter"},
          {"metadata", metadata(spec)},
          {"spec", body}};
}

}  // namespace wasme::render
