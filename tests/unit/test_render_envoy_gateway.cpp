#include <doctest/doctest.h>

#include "wasme/core/error.hpp"
#include "wasme/render/envoy_gateway.hpp"

using namespace wasme;
using wasme::render::Json;

namespace {

render::EnvoyGatewayDeployRequest gateway_request() {
  render::EnvoyGatewayDeployRequest r;
  r.id = "add-header";
  r.module.reference = "registry.example/filters/add-header:v1";
  r.module.manifest_digest = std::string(64, 'c');
  r.module.wasm_sha256 = std::string(64, 'a');
  r.module.root_ids = {"add_header_root_id"};
  r.targets = {render::PolicyTarget::parse("Gateway/eg")};
  return r;
}

}  // namespace

TEST_CASE("EnvoyExtensionPolicy: targetRefs and one wasm Image entry pinned by the manifest digest") {
  auto r = gateway_request();
  r.config = R"({"value":"hi"})";
  r.pull_secret = "regcred";
  Json p = render::envoy_extension_policy(r);
  CHECK(p["apiVersion"] == "gateway.envoyproxy.io/v1alpha1");
  CHECK(p["kind"] == "EnvoyExtensionPolicy");
  CHECK(p["metadata"]["name"] == "wasme-add-header");
  CHECK(p["metadata"]["namespace"] == "default");
  CHECK(p["metadata"]["labels"]["wasme.io/id"] == "add-header");
  CHECK(p["spec"]["targetRefs"] ==
        Json::array({{{"group", "gateway.networking.k8s.io"}, {"kind", "Gateway"}, {"name", "eg"}}}));
  const Json& wasm = p["spec"]["wasm"][0];
  CHECK(wasm["name"] == "add-header");
  CHECK(wasm["rootID"] == "add_header_root_id");
  CHECK(wasm["code"] == Json{{"type", "Image"},
                             {"image",
                              {{"url", "registry.example/filters/add-header:v1"},
                               {"sha256", std::string(64, 'c')},
                               {"pullSecretRef", {{"name", "regcred"}}}}}});
  CHECK(wasm["config"] == Json{{"value", "hi"}});
  CHECK(wasm["failOpen"] == false);
  r.fail_open = true;
  r.root_id = "other";
  r.image_pull_policy = "Always";
  r.config = "\"a string\"";
  Json again = render::envoy_extension_policy(r);
  const Json& wasm2 = again["spec"]["wasm"][0];
  CHECK(wasm2["failOpen"] == true);
  CHECK(wasm2["rootID"] == "other");
  CHECK(wasm2["code"]["pullPolicy"] == "Always");
  CHECK(wasm2["config"] == "a string");
}

TEST_CASE("EnvoyExtensionPolicy refuses what Envoy Gateway or Kubernetes would") {
  auto expect_usage = [](const render::EnvoyGatewayDeployRequest& r, const char* text) {
    CAPTURE(text);
    try {
      render::check_request(r);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()).find(text) != std::string::npos);
    }
  };
  auto r = gateway_request();
  r.targets.clear();
  expect_usage(r, "--target-ref is required");
  r = gateway_request();
  r.config = "{not json";
  expect_usage(r, "must be JSON");
  r = gateway_request();
  r.image_pull_policy = "Never";
  expect_usage(r, "--image-pull-policy");
  r = gateway_request();
  r.id = "Bad_Id";
  expect_usage(r, "--id");
  r = gateway_request();
  r.pull_secret = "Bad Secret";
  expect_usage(r, "--pull-secret");
  for (const char* bad : {"Service/x", "HTTPRoute", "HTTPRoute/", "httproute/x", "GRPCRoute/UPPER"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(render::PolicyTarget::parse(bad), Error);
  }
  CHECK(render::PolicyTarget::parse("GRPCRoute/backend").kind == "GRPCRoute");
}
