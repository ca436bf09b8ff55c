#pragma once
#include <string>
#include <vector>

#include "wasme/core/log.hpp"
#include "wasme/kube/kubectl.hpp"
#include "wasme/render/deploy.hpp"

namespace wasme::kube {

enum class DryRun { no, yes };

// What `wasme undeploy istio` was asked for.
struct IstioUndeployRequest {
  std::string id;
  std::string namespace_name = "default";
  render::Labels labels;  // only filters whose selector includes these labels
  render::WorkloadKind workload_kind = render::WorkloadKind::deployment;
  render::DeployMode mode = render::DeployMode::envoy_filter;
  render::CacheOptions cache;  // namespace and name of the cache
  DryRun dry_run = DryRun::no;
};

struct UndeployResult {
  std::vector<std::string> filters;   // removed (or, with a dry run, to be removed)
  std::vector<std::string> commands;  // the writes run, or with a dry run the writes that would run
};

// Removes the filters deployed with this id; restores the workloads' backed-up annotations
// only when no other wasme filter selecting them remains; drops the image from the cache's
// list when no remaining filter uses it. Throws Error(not_found) when nothing has the id.
// log gets a line per write ("would run: …" with a dry run).
UndeployResult undeploy_istio(const IstioUndeployRequest& request, Kubectl& kubectl, const Log& log = {});

// True when every label of selector is in labels (an empty selector selects everything).
bool selects(const render::Labels& selector, const render::Labels& labels);

}  // namespace wasme::kube
