#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test_kube_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/kube/kubectl.hpp"

using namespace wasme;
using kube_test::ScriptedRunner;
using wasme::render::Json;

TEST_CASE("kubectl argv carries --kubeconfig and --context first; failures name the step") {
  ScriptedRunner runner;
  ProcessResult failed;
  failed.exit_code = 1;
  failed.err = "Unauthorized\n";
  runner.answers = {failed};
  kube::Kubectl kubectl(runner, {"kubectl", "/k", "c"});
  CHECK(kubectl.argv({"get", "pods"}) ==
        std::vector<std::string>{"kubectl", "--kubeconfig=/k", "--context=c", "get", "pods"});
  try {
    kubectl.run({"get", "pods"}, "listing pods");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "listing pods: `kubectl --kubeconfig=/k --context=c get pods` failed: exit status 1: Unauthorized");
    CHECK(e.hint().empty());
  }
  // No cluster: client-go's repeated klog lines are dropped, kubectl's summary is kept, and
  // the hint says what to check.
  ProcessResult no_cluster;
  no_cluster.exit_code = 1;
  no_cluster.err =
      "E1127 13:57:32.677551    1067 memcache.go:265] \"Unhandled Error\" err=\"couldn't get current server API\"\n"
      "E1127 13:57:32.679499    1067 memcache.go:265] \"Unhandled Error\" err=\"couldn't get current server API\"\n"
      "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n";
  runner.answers = {no_cluster};
  try {
    kubectl.run({"get", "pods"}, "listing pods");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "listing pods: `kubectl --kubeconfig=/k --context=c get pods` failed: exit status 1: The connection to "
          "the server localhost:8080 was refused - did you specify the right host or port?");
    CHECK(e.hint().find("kubectl cluster-info") != std::string::npos);
  }
  CHECK(kube::resource_name(Json{{"apiVersion", "apps/v1"}, {"kind", "DaemonSet"}, {"metadata", {{"name", "d"}}}}) ==
        "daemonset/d");
  CHECK(kube::resource_name(Json{
            {"apiVersion", "networking.istio.io/v1alpha3"}, {"kind", "EnvoyFilter"}, {"metadata", {{"name", "e"}}}}) ==
        "envoyfilter.networking.istio.io/e");
  // odd kubectl output is a wasme error naming the missing field, never a JSON exception
  for (const Json& odd : {Json("x"), Json(), Json{{"kind", "A"}, {"apiVersion", "v1"}},
                          Json{{"kind", "A"}, {"apiVersion", "v1"}, {"metadata", {{"name", 5}}}},
                          Json{{"kind", 1}, {"apiVersion", "v1"}, {"metadata", {{"name", "n"}}}}}) {
    CAPTURE(odd.dump());
    CHECK_THROWS_AS(kube::resource_name(odd), Error);
  }
}
