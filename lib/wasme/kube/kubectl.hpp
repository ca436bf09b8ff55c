#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/core/process.hpp"
#include "wasme/render/yaml.hpp"

namespace wasme::kube {

using render::Json;

// How to reach the cluster: passed to every kubectl call.
struct KubectlOptions {
  std::string program = "kubectl";
  std::string kubeconfig;  // --kubeconfig
  std::string context;     // --context
};

// kubectl behind the process runner, so --apply and undeploy can be tested with a
// recording stand-in. Every failure names the step and the command.
class Kubectl {
 public:
  Kubectl(ProcessRunner& runner, KubectlOptions options);

  // The full argv for args (program and global flags first), for logs and hints.
  std::vector<std::string> argv(const std::vector<std::string>& args) const;
  // Runs kubectl; returns stdout. Throws Error(external) "<what>: `kubectl …` failed: …".
  std::string run(const std::vector<std::string>& args, const std::string& what,
                  const std::optional<std::string>& input = std::nullopt);
  // Runs a read and parses its JSON output; empty output (--ignore-not-found) is null.
  Json get_json(const std::vector<std::string>& args, const std::string& what);
  // `kubectl apply -f -` with the objects as a YAML stream.
  std::string apply(const std::vector<Json>& objects, const std::string& what);
  // `kubectl -n NS patch RESOURCE --type=merge -p=PATCH`.
  std::string merge_patch(const std::string& namespace_name, const std::string& resource, const Json& patch,
                          const std::string& what);

 private:
  ProcessRunner& runner_;
  KubectlOptions options_;
};

// kubectl's name for an object: "deployment/details-v1", CRDs with their group:
// "envoyfilter.networking.istio.io/details-v1-test".
std::string resource_name(const Json& object);  // throws Error(external) when a field is missing

}  // namespace wasme::kube
