#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/render/deploy.hpp"
#include "wasme/render/kubectl.hpp"

namespace wasme::render {

// Side channels of a long operation, injectable for tests: progress lines (stderr in the
// CLI), sleeping between polls, and the clock.
struct ApplyHooks {
  std::function<void(std::string_view line)> log;
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<std::chrono::steady_clock::time_point()> now;
};
// Hooks that sleep and read the clock for real and log nowhere.
ApplyHooks default_hooks();
// hooks with the real sleep and clock filled in where they are empty.
ApplyHooks with_defaults(ApplyHooks hooks);

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
// earlier ones in place and hints how to undo them.
ApplyResult apply_istio_deploy(const IstioDeployRequest& request, Kubectl& kubectl,
                               const ApplyOptions& options, const ApplyHooks& hooks);

// True when a cache pod's /images answer lists the module (an object whose "digest" is
// sha256:<wasm hex>, in whatever shape the list takes).
bool cache_reports_module(const Json& images, const std::string& wasm_sha256);

}  // namespace wasme::render
