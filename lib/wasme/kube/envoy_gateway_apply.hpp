#pragma once
#include <string>
#include <vector>

#include "wasme/kube/kubectl.hpp"
#include "wasme/kube/undeploy.hpp"
#include "wasme/render/envoy_gateway.hpp"

namespace wasme::kube {

// `kubectl apply` of the policy; returns kubectl's name for it ("ns/envoyextensionpolicy…/wasme-x").
std::string apply_envoy_gateway_deploy(const render::EnvoyGatewayDeployRequest& request, Kubectl& kubectl);

// Removes the policies deploy made for this id in the namespace (found by their labels);
// returns their names. With dry_run only lists them. Throws Error(not_found) when none.
std::vector<std::string> undeploy_envoy_gateway(const std::string& id, const std::string& namespace_name,
                                                Kubectl& kubectl, DryRun dry_run);

}  // namespace wasme::kube
