#include <doctest/doctest.h>

#include "wasme/core/error.hpp"
#include "wasme/kube/istio_detect.hpp"

using namespace wasme;
using wasme::render::Json;

namespace {

// An istiod Deployment as the Helm chart writes it (istio-discovery templates/deployment.yaml).
Json istiod(const std::string& ns, const std::string& rev, const std::string& image,
            Json extra_labels = Json::object()) {
  Json labels = {{"app", "istiod"}};
  if (!rev.empty()) labels["istio.io/rev"] = rev;
  for (auto& [k, v] : extra_labels.items()) labels[k] = v;
  return {
      {"metadata",
       {{"name", rev.empty() || rev == "default" ? "istiod" : "istiod-" + rev}, {"namespace", ns}, {"labels", labels}}},
      {"spec", {{"template", {{"spec", {{"containers", Json::array({{{"name", "discovery"}, {"image", image}}})}}}}}}}};
}

Json list(std::initializer_list<Json> items) {
  Json array = Json::array();
  for (const Json& item : items) array.push_back(item);
  return {{"items", array}};
}

kube::ChosenIstio choose(const Json& deployments, const std::string& revision = "") {
  return kube::choose_istio_version(kube::read_istiods(deployments), revision);
}

Error error_of(const Json& deployments, const std::string& revision = "") {
  try {
    choose(deployments, revision);
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected an error");
  return Error(ErrorKind::usage, "");
}

}  // namespace

TEST_CASE("one istiod: its image tag, or its version labels first") {
  auto chosen = choose(list({istiod("istio-system", "", "docker.io/istio/pilot:1.22.3-distroless")}));
  CHECK(chosen.version.str() == "1.22");
  CHECK(chosen.description.find("istio-system/istiod") != std::string::npos);
  CHECK(chosen.description.find("revision default") != std::string::npos);
  chosen = choose(list(
      {istiod("istio-system", "", "my.registry:5000/pilot@sha256:abcd", {{"app.kubernetes.io/version", "1.26.1"}})}));
  CHECK(chosen.version.str() == "1.26");
  CHECK(chosen.description.find("app.kubernetes.io/version") != std::string::npos);
  chosen = choose(list({istiod("istio-system", "", "pilot:latest", {{"operator.istio.io/version", "1.12.9"}})}));
  CHECK(chosen.version.str() == "1.12");
}

TEST_CASE("two revisions that agree give their version; that disagree need --revision") {
  Json same = list(
      {istiod("istio-system", "1-22-1", "istio/pilot:1.22.1"), istiod("istio-system", "1-22-3", "istio/pilot:1.22.3")});
  CHECK(choose(same).version.str() == "1.22");

  Json canary = list({istiod("istio-system", "default", "istio/pilot:1.21.0"),
                      istiod("istio-system", "canary", "istio/pilot:1.22.0")});
  Error e = error_of(canary);
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(std::string(e.what()).find("more than one Istio version") != std::string::npos);
  CHECK(std::string(e.what()).find("revision canary, Istio 1.22") != std::string::npos);
  CHECK(std::string(e.what()).find("revision default, Istio 1.21") != std::string::npos);
  CHECK(e.hint().find("--revision") != std::string::npos);
  CHECK(choose(canary, "canary").version.str() == "1.22");
  CHECK(choose(canary, "default").version.str() == "1.21");
  CHECK(error_of(canary, "stable").kind() == ErrorKind::not_found);
}

TEST_CASE("no istiod, or none with a readable version, is an error naming what to give") {
  Error none = error_of(list({}));
  CHECK(none.kind() == ErrorKind::not_found);
  CHECK(std::string(none.what()).find("no istiod Deployment") != std::string::npos);
  CHECK(none.hint().find("--istio-version") != std::string::npos);
  CHECK(error_of(Json()).kind() == ErrorKind::not_found);
  Error unknown = error_of(list({istiod("istio-system", "", "istio/pilot:latest")}));
  CHECK(std::string(unknown.what()).find("version unknown") != std::string::npos);
}

TEST_CASE("odd kubectl output is read without crashing: items that are not objects, null metadata") {
  Json odd = {{"items", Json::array({"a string",
                                     nullptr,
                                     {{"metadata", nullptr}},
                                     {{"metadata", {{"labels", 5}}}},
                                     {{"spec", {{"template", {{"spec", {{"containers", "none"}}}}}}}}})}};
  auto istiods = kube::read_istiods(odd);
  CHECK(istiods.size() == 5);
  for (const auto& i : istiods) CHECK_FALSE(i.version.has_value());
  CHECK(error_of(odd).kind() == ErrorKind::not_found);
}
