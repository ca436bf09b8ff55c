#include "wasme/render/envoy_gateway.hpp"

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/render/k8s_names.hpp"

namespace wasme::render {
namespace {

// The kinds an HTTP filter can attach to. Envoy Gateway also takes UDPRoute, TCPRoute and
// TLSRoute, where a wasm HTTP filter never runs, and ListenerSet from v1.9 only
// (envoyproxy/gateway api/v1alpha1/policy_helpers.go, v1.9.0).
constexpr const char* target_kinds[] = {"Gateway", "HTTPRoute", "GRPCRoute"};
constexpr const char* gateway_api_group = "gateway.networking.k8s.io";

// The filter's configuration: any JSON value, kept as typed JSON (apiextensionsv1.JSON).
Json config_json(const std::string& config) {
  Json parsed = parse_json_limited<Json>(config, "--config");
  if (parsed.is_discarded()) {
    throw Error(ErrorKind::usage, "--config for Envoy Gateway must be JSON: " + json_syntax_error(config),
                "Envoy Gateway passes the filter a JSON value, e.g. --config '{\"value\":\"hi\"}' "
                "or --config '\"a string\"'");
  }
  return parsed;
}

}  // namespace

PolicyTarget PolicyTarget::parse(std::string_view text) {
  KindName parts = split_kind_name(text);
  PolicyTarget target{parts.kind, parts.name};
  bool known = false;
  for (const char* kind : target_kinds) known = known || target.kind == kind;
  if (!known) {
    throw Error(ErrorKind::usage, "invalid --target-ref \"" + std::string(text) + "\"",
                "write KIND/NAME with KIND one of Gateway, HTTPRoute, GRPCRoute, e.g. --target-ref "
                "Gateway/eg");
  }
  check_dns_subdomain(target.name, "the name in --target-ref " + std::string(text));
  return target;
}

void check_request(const EnvoyGatewayDeployRequest& request) {
  check_dns_label(request.id, "--id");
  check_dns_label(request.namespace_name, "--namespace");
  if (request.targets.empty()) {
    throw Error(ErrorKind::usage, "--target-ref is required",
                "name what the filter attaches to, e.g. --target-ref Gateway/eg or HTTPRoute/backend");
  }
  if (!request.pull_secret.empty()) check_dns_subdomain(request.pull_secret, "--pull-secret");
  const std::string& policy = request.image_pull_policy;
  if (!policy.empty() && policy != "IfNotPresent" && policy != "Always") {
    throw Error(ErrorKind::usage, "invalid --image-pull-policy \"" + policy + "\"", "use IfNotPresent or Always");
  }
  if (!request.config.empty()) config_json(request.config);
}

Json envoy_extension_policy(const EnvoyGatewayDeployRequest& request) {
  check_request(request);
  if (request.module.manifest_digest.size() != 64) {
    throw Error(ErrorKind::invalid_input, "the image's manifest digest is missing");
  }
  Json targets = Json::array();
  for (const auto& t : request.targets) {
    targets.push_back({{"group", gateway_api_group}, {"kind", t.kind}, {"name", t.name}});
  }
  // sha256 is the image's manifest digest, 64 bare hex: Envoy Gateway compares it with
  // img.Digest().Hex (internal/wasm/imagefetcher.go, cache.go getOrFetch; v1.9.0).
  Json image = {{"url", request.module.reference}, {"sha256", request.module.manifest_digest}};
  if (!request.pull_secret.empty()) image["pullSecretRef"] = {{"name", request.pull_secret}};
  Json code = {{"type", "Image"}, {"image", image}};
  if (!request.image_pull_policy.empty()) code["pullPolicy"] = request.image_pull_policy;
  Json wasm = {{"name", request.id}};
  std::string root_id =
      request.root_id.empty() && !request.module.root_ids.empty() ? request.module.root_ids.front() : request.root_id;
  if (!root_id.empty()) wasm["rootID"] = root_id;
  wasm["code"] = code;
  if (!request.config.empty()) wasm["config"] = config_json(request.config);
  wasm["failOpen"] = request.fail_open;
  Json meta = {{"name", "wasme-" + request.id}, {"namespace", request.namespace_name}};
  meta["labels"] = {{managed_by_label, "wasme"}, {id_label, request.id}};
  meta["annotations"] = {{image_annotation, request.module.reference}};
  return {{"apiVersion", "gateway.envoyproxy.io/v1alpha1"},
          {"kind", "EnvoyExtensionPolicy"},
          {"metadata", meta},
          {"spec", {{"targetRefs", targets}, {"wasm", Json::array({wasm})}}}};
}

}  // namespace wasme::render
