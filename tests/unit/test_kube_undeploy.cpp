#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "test_kube_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/kube/undeploy.hpp"

using namespace wasme;
using kube_test::answer;
using kube_test::ScriptedRunner;
using wasme::render::Json;
using Strings = std::vector<std::string>;

namespace {

// What `kubectl get envoyfilters -A` shows after `deploy istio --id f` in default.
Json deployed_filter() {
  return {{"apiVersion", "networking.istio.io/v1alpha3"},
          {"kind", "EnvoyFilter"},
          {"metadata",
           {{"name", "wasme-f"},
            {"namespace", "default"},
            {"labels", {{"app.kubernetes.io/managed-by", "wasme"}, {"wasme.io/id", "f"}}},
            {"annotations", {{"wasme.io/image", "r/a:1"}}}}},
          {"spec", {{"workloadSelector", {{"labels", {{"app", "x"}}}}}}}};
}

// kubectl's answers, in call order: the filters, (the delete,) the workloads they select, the
// cache's list(, the patch).
void script(ScriptedRunner& runner, kube::DryRun dry_run) {
  bool writes = dry_run == kube::DryRun::no;
  runner.answers = {answer({{"items", Json::array({deployed_filter()})}})};
  if (writes) runner.answers.push_back({});
  runner.answers.push_back(answer({{"items", Json::array()}}));
  runner.answers.push_back(
      answer({{"metadata", {{"resourceVersion", "7"}}}, {"data", {{"images", "r/a:1\nr/b:1\n"}}}}));
  if (writes) runner.answers.push_back({});
}

std::vector<std::string> argv_of(const ScriptedRunner& runner, std::size_t call) { return runner.calls.at(call).argv; }

}  // namespace

TEST_CASE("undeploy removes the filter and its unused image, telling the log each write") {
  ScriptedRunner runner;
  script(runner, kube::DryRun::no);
  kube::Kubectl kubectl(runner, {"kubectl", "", ""});
  kube::IstioUndeployRequest request;
  request.id = "f";
  std::vector<std::string> lines;
  auto result = kube::undeploy_istio(request, kubectl, [&](std::string_view l) { lines.emplace_back(l); });
  CHECK(result.filters == Strings{"default/envoyfilter.networking.istio.io/wasme-f"});
  CHECK(lines == Strings{"deleting envoyfilter.networking.istio.io/wasme-f",
                         "removing unused images from configmap/wasme-cache"});
  REQUIRE(runner.calls.size() == 5);  // three reads, two writes
  CHECK(runner.answers.empty());
  CHECK(argv_of(runner, 1) == Strings{"kubectl", "-n", "default", "delete", "envoyfilter.networking.istio.io/wasme-f"});
  CHECK(argv_of(runner, 4).at(4) == "configmap/wasme-cache");
  CHECK(argv_of(runner, 4).back().find("r/b:1") != std::string::npos);
}

TEST_CASE("a dry run of undeploy reads, writes nothing, and lists the writes") {
  ScriptedRunner runner;
  script(runner, kube::DryRun::yes);
  kube::Kubectl kubectl(runner, {"kubectl", "", ""});
  kube::IstioUndeployRequest request;
  request.id = "f";
  request.dry_run = kube::DryRun::yes;
  std::vector<std::string> lines;
  auto result = kube::undeploy_istio(request, kubectl, [&](std::string_view l) { lines.emplace_back(l); });
  CHECK(runner.calls.size() == 3);
  REQUIRE(result.commands.size() == 2);
  CHECK(result.commands[0] == "kubectl -n default delete envoyfilter.networking.istio.io/wasme-f");
  CHECK(lines.at(0) == "would run: deleting envoyfilter.networking.istio.io/wasme-f");
  // Without a log nothing is told, and nothing else changes.
  script(runner, kube::DryRun::yes);
  runner.calls.clear();
  CHECK(kube::undeploy_istio(request, kubectl).commands == result.commands);
}

TEST_CASE("undeploy of an unknown id is not_found, naming it") {
  ScriptedRunner runner;
  runner.answers = {answer({{"items", Json::array({deployed_filter()})}})};
  kube::Kubectl kubectl(runner, {"kubectl", "", ""});
  kube::IstioUndeployRequest request;
  request.id = "other";
  try {
    kube::undeploy_istio(request, kubectl);
    FAIL("expected not_found");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(std::string(e.what()).find("no EnvoyFilter with id \"other\" in namespace default") == 0);
  }
}
