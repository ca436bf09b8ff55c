#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "test_render_support.hpp"
#include "test_kube_support.hpp"
#include "wasme/core/clock.hpp"
#include "wasme/core/error.hpp"
#include "wasme/kube/apply.hpp"

using namespace wasme;
using kube_test::answer;
using kube_test::ScriptedRunner;
using wasme::render::Json;

namespace {

render::IstioDeployRequest request() { return render_test::sample_request(); }

}  // namespace

TEST_CASE("cache_reports_module finds the wasm digest in any shape of /images") {
  std::string sha(64, 'a');
  CHECK(kube::cache_reports_module(Json{{"r:v1", {{"digest", "sha256:" + sha}, {"state", "cached"}}}}, sha));
  CHECK(kube::cache_reports_module(Json::array({{{"ref", "r"}, {"digest", sha}}}), sha));
  CHECK_FALSE(kube::cache_reports_module(Json{{"r:v1", {{"digest", "sha256:" + std::string(64, 'b')}}}}, sha));
  CHECK_FALSE(kube::cache_reports_module(Json{{"r:v1", {{"state", "pulling"}}}}, sha));
  CHECK_FALSE(kube::cache_reports_module(Json(), sha));
}

TEST_CASE("apply waits with the injected clock and gives up after the timeout") {
  ScriptedRunner runner;
  Json pods = {{"items", Json::array({{{"metadata", {{"name", "p"}}}}})}};
  runner.answers = {
      answer({{"items", Json::array({{{"kind", "Deployment"},
                                      {"metadata", {{"name", "x"}}},
                                      {"spec", {{"template", {{"metadata", {{"labels", {{"app", "x"}}}}}}}}}}})}}),
      ProcessResult{},  // no configmap
      ProcessResult{},  // apply
      answer(pods),
      answer(Json::object()),
      answer(pods),
      answer(Json::object()),
      answer(pods),
      answer(Json::object())};
  kube::Kubectl kubectl(runner, {"kubectl", "", ""});
  FakeClock clock;
  const auto start = clock.now();
  std::vector<std::string> lines;
  kube::ApplyOptions options;
  options.cache_timeout = std::chrono::seconds(3);
  options.poll_interval = std::chrono::seconds(2);
  try {
    kube::apply_istio_deploy(
        request(), kubectl, options, [&](std::string_view l) { lines.emplace_back(l); }, clock);
    FAIL("expected a timeout");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("step 4 (waiting for the cache): the cache did not report example.com/f:v1 "
                                     "in time: pod p does not have the module yet") == 0);
  }
  CHECK(clock.now() - start == std::chrono::seconds(4));  // two polls of 2 s: no real waiting
  CHECK(runner.calls.size() == 9);                        // 3 + 3 polls of (pods, images)
  CHECK(lines == std::vector<std::string>{"applied namespace/wasme", "applied serviceaccount/wasme-cache",
                                          "applied configmap/wasme-cache", "applied daemonset/wasme-cache"});
}
