#include "wasme/kube/envoy_gateway_apply.hpp"

#include "wasme/core/error.hpp"
#include "wasme/render/k8s_names.hpp"

namespace wasme::kube {

using render::check_dns_label;
using render::envoy_extension_policy_resource;
using render::id_label;
using render::managed_by_label;

std::string apply_envoy_gateway_deploy(const render::EnvoyGatewayDeployRequest& request, Kubectl& kubectl) {
  Json policy = render::envoy_extension_policy(request);
  kubectl.apply({policy}, "applying the EnvoyExtensionPolicy");
  return request.namespace_name + "/" + resource_name(policy);
}

std::vector<std::string> undeploy_envoy_gateway(const std::string& id, const std::string& namespace_name,
                                                Kubectl& kubectl, DryRun dry_run) {
  check_dns_label(id, "--id");
  check_dns_label(namespace_name, "--namespace");
  std::string selector = std::string(managed_by_label) + "=wasme," + std::string(id_label) + "=" + id;
  Json list = kubectl.get_json(
      {"-n", namespace_name, "get", std::string(envoy_extension_policy_resource), "-l", selector, "-o", "json"},
      "listing EnvoyExtensionPolicies");
  std::vector<std::string> names;
  if (list.is_object() && list.contains("items")) {
    for (const Json& item : list["items"]) {
      names.push_back(with_context("listing EnvoyExtensionPolicies", [&] { return resource_name(item); }));
    }
  }
  if (names.empty()) {
    throw Error(ErrorKind::not_found, "no EnvoyExtensionPolicy with id " + id + " in namespace " + namespace_name,
                "list them with: kubectl get envoyextensionpolicy -A -l " + std::string(managed_by_label) +
                    "=wasme --show-labels");
  }
  if (dry_run == DryRun::no) {
    for (const auto& name : names) kubectl.run({"-n", namespace_name, "delete", name}, "deleting " + name);
  }
  for (auto& name : names) name = namespace_name + "/" + name;
  return names;
}

}  // namespace wasme::kube
