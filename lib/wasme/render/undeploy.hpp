#pragma once
#include <string>
#include <vector>

#include "wasme/render/apply.hpp"
#include "wasme/render/deploy.hpp"
#include "wasme/render/kubectl.hpp"

namespace wasme::render {

enum class DryRun { no, yes };

// What `wasme undeploy istio` was asked for.
struct IstioUndeployRequest {
  std::string id;
  std::string namespace_name = "default";
  Labels labels;  // only filters whose selector includes these labels
  WorkloadKind workload_kind = WorkloadKind::deployment;
  DeployMode mode = DeployMode::envoy_filter;
  CacheOptions cache;  // namespace and name of the cache
  DryRun dry_run = DryRun::no;
};

struct UndeployResult {
  std::vector<std::string> filters;  // removed (or, with a dry run, to be removed)
  std::vector<std::string> commands;  // the writes run, or with a dry run the writes that would run
};

// Removes the filters deployed with this id; restores the workloads' backed-up annotations
// only when no other wasme filter selecting them remains; drops the image from the cache's
// list when no remaining filter uses it. Throws Error(not_found) when nothing has the id.
UndeployResult undeploy_istio(const IstioUndeployRequest& request, Kubectl& kubectl,
                              const ApplyHooks& hooks);

// True when every label of selector is in labels (an empty selector selects everything).
bool selects(const Labels& selector, const Labels& labels);

}  // namespace wasme::render
