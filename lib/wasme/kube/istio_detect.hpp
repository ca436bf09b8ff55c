#pragma once
#include <optional>
#include <string>
#include <vector>

#include "wasme/kube/kubectl.hpp"
#include "wasme/render/istio.hpp"

namespace wasme::kube {

// One istiod Deployment of the cluster (one per revision and namespace).
struct Istiod {
  std::string namespace_name;
  std::string name;
  std::string revision;                         // istio.io/rev, "default" when unlabeled
  std::optional<render::IstioVersion> version;  // none when neither labels nor image tag say
  std::string source;                           // where the version was read, for messages
};

// The istiods in `kubectl get deployments -A -l app=istiod -o json` (the label every revision's
// Deployment carries: istio/istio manifests/charts/istio-control/istio-discovery/templates/
// deployment.yaml, release-1.12 to release-1.31). The version comes from the
// app.kubernetes.io/version label (1.24+) or operator.istio.io/version (istioctl installs),
// else from the discovery container's image tag ("…/pilot:1.22.3-distroless").
std::vector<Istiod> read_istiods(const Json& deployments);

// The version to render for: the revision's when one is given; else the one every istiod
// agrees on. Throws Error(not_found) when there is no istiod (or none of the revision) and
// Error(usage) when revisions disagree, naming each.
struct ChosenIstio {
  render::IstioVersion version;
  std::string description;  // "Istio 1.22 (istiod in istio-system, revision default, from …)"
};
ChosenIstio choose_istio_version(const std::vector<Istiod>& istiods, const std::string& revision);

// read_istiods + choose_istio_version on the live cluster.
ChosenIstio detect_istio_version(Kubectl& kubectl, const std::string& revision);

}  // namespace wasme::kube
