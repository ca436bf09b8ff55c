#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "wasme/render/istio.hpp"
#include "wasme/render/yaml.hpp"

namespace wasme::render {

// What an EnvoyExtensionPolicy attaches to (--target-ref KIND/NAME).
struct PolicyTarget {
  std::string kind;  // Gateway, HTTPRoute, GRPCRoute
  std::string name;
  // "KIND/NAME"; throws Error(usage) naming the kinds Envoy Gateway takes.
  static PolicyTarget parse(std::string_view text);
};

// Everything `wasme deploy envoy-gateway` was asked for.
struct EnvoyGatewayDeployRequest {
  ModuleFacts module;
  std::string id;
  std::string root_id;  // "": the image's first root id
  std::string config;   // JSON (any value), passed to the filter as its configuration
  std::string namespace_name = "default";
  std::vector<PolicyTarget> targets;
  bool fail_open = false;
  std::string pull_secret;        // Secret in the policy's namespace
  std::string image_pull_policy;  // IfNotPresent | Always | ""
};

// Refuses what the API server or Envoy Gateway would refuse, before anything is pulled:
// names, targets, the pull policy. Throws Error(usage).
void check_request(const EnvoyGatewayDeployRequest& request);

// EnvoyExtensionPolicy gateway.envoyproxy.io/v1alpha1 (Envoy Gateway v1.1+) named wasme-<id>,
// with one wasm entry whose code is the image pinned by its manifest digest. Throws
// Error(usage/invalid_input) naming the input.
Json envoy_extension_policy(const EnvoyGatewayDeployRequest& request);

// kubectl's name for the policies of one id, for undeploy.
inline constexpr std::string_view envoy_extension_policy_resource = "envoyextensionpolicy.gateway.envoyproxy.io";

}  // namespace wasme::render
