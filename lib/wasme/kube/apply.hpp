#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "wasme/core/clock.hpp"
#include "wasme/core/log.hpp"
#include "wasme/kube/kubectl.hpp"
#include "wasme/render/deploy.hpp"

namespace wasme::kube {

struct ApplyOptions {
  std::chrono::milliseconds cache_timeout{std::chrono::minutes(1)};
  std::chrono::milliseconds poll_interval{std::chrono::seconds(2)};
};

// What --apply changed, for the summary and -o json.
struct ApplyResult {
  std::vector<std::string> workloads;  // "default/deployment/details-v1"
  std::vector<std::string> filters;    // "default/envoyfilter.networking.istio.io/details-v1-test"
};

// Applies a deploy step by step: find the workloads, apply the cache objects, add IMAGE to the
// cache's list, wait until every cache pod reports the module, patch the workloads (merging
// with their live annotations), apply the filters. A failure names its step, leaves the
// earlier ones in place and hints how to undo them. log gets a line per change (stderr in the
// CLI); the wait for the cache polls and times out on clock.
ApplyResult apply_istio_deploy(const render::IstioDeployRequest& request, Kubectl& kubectl, const ApplyOptions& options,
                               const Log& log = {}, Clock& clock = system_clock());

// True when a cache pod's /images answer lists the module (an object whose "digest" is
// sha256:<wasm hex>, in whatever shape the list takes).
bool cache_reports_module(const Json& images, const std::string& wasm_sha256);

}  // namespace wasme::kube
