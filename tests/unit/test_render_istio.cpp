#include <doctest/doctest.h>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/oci/digest.hpp"
#include "wasme/render/istio.hpp"
#include "wasme/render/wasm_plugin.hpp"

using namespace wasme;
using wasme::render::Json;

namespace {

std::string fixture_sha256() {
  return oci::sha256_of_file(std::string(WASME_FIXTURES) + "/istio_1_4.wasm").digest.hex();
}

// The seed's EnvoyFilter (tests/fixtures/seed_envoy_filter.yaml, which the integration tests
// read too), with the seed's module hash replaced by the fixture's.
std::string seed_filter(const std::string& sha) {
  std::string text = read_file(std::string(WASME_FIXTURES) + "/seed_envoy_filter.yaml");
  const std::string seed_file =
      "/var/local/lib/wasme-cache/bbfdf674f5cf2e413a4b701ae865dd4569502f60af5647f2f47ca4f38e2b40af";
  const auto at = text.find(seed_file);
  REQUIRE(at != std::string::npos);
  return text.replace(at, seed_file.size(), "/var/local/lib/wasme-cache/" + sha);
}

// The seed's inputs: deploy --id test --root-id add_header_root_id --labels app=details …
render::FilterSpec seed_spec(const std::string& version) {
  render::FilterSpec spec;
  spec.id = "test";
  spec.root_id = "add_header_root_id";
  spec.config = R"({"value":"hi-from-wasme"})";
  spec.istio = render::IstioVersion::parse(version);
  spec.ports = {9080};
  spec.name = "details-v1-test";
  spec.namespace_name = "default";
  spec.selector = {{"app", "details"}};
  spec.workload = "deployment/details-v1";
  spec.module.reference = "webassemblyhub.io/yuval-k/istio-example:1.4.2";
  spec.module.wasm_sha256 = fixture_sha256();
  spec.module.manifest_digest = std::string(64, 'c');
  spec.module.root_ids = {"add_header_root_id"};
  return spec;
}

}  // namespace

TEST_CASE("golden: Istio 1.4 rendering of the seed's inputs equals the seed's EnvoyFilter") {
  auto spec = seed_spec("1.4");
  Json ours = render::envoy_filter(spec);
  auto seed = render::parse_yaml_stream(seed_filter(spec.module.wasm_sha256), "seed");
  REQUIRE(seed.size() == 1);
  CHECK(ours["apiVersion"] == seed[0]["apiVersion"]);
  CHECK(ours["kind"] == seed[0]["kind"]);
  CHECK(ours["spec"] == seed[0]["spec"]);
  // and the same after a trip through our YAML text
  auto reparsed = render::parse_yaml_stream(render::to_yaml(ours), "ours");
  CHECK(reparsed[0]["spec"] == seed[0]["spec"]);
  // metadata: named <workload>-<id>, marked for undeploy
  CHECK(ours["metadata"]["name"] == "details-v1-test");
  CHECK(ours["metadata"]["namespace"] == "default");
  CHECK(ours["metadata"]["labels"]["wasme.io/id"] == "test");
  CHECK(ours["metadata"]["annotations"]["wasme.io/image"] == spec.module.reference);
  CHECK(ours["metadata"]["annotations"]["wasme.io/workload"] == "deployment/details-v1");
}

TEST_CASE("Istio 1.4: one configPatch per port; no port is an error with a hint") {
  auto spec = seed_spec("1.4.2");
  spec.ports = {9080, 9090};
  Json f = render::envoy_filter(spec);
  REQUIRE(f["spec"]["configPatches"].size() == 2);
  CHECK(f["spec"]["configPatches"][0]["match"]["listener"]["portNumber"] == 9080);
  CHECK(f["spec"]["configPatches"][1]["match"]["listener"]["portNumber"] == 9090);
  spec.ports.clear();
  try {
    render::envoy_filter(spec);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(e.hint().find("--port") != std::string::npos);
  }
}

TEST_CASE("Istio 1.5 and 1.6: config.config with rootId and code.local.filename") {
  for (const char* version : {"1.5", "1.6.8"}) {
    CAPTURE(version);
    auto spec = seed_spec(version);
    Json f = render::envoy_filter(spec);
    REQUIRE(f["spec"]["configPatches"].size() == 1);
    const Json& patch = f["spec"]["configPatches"][0];
    CHECK(patch["applyTo"] == "HTTP_FILTER");
    CHECK(patch["match"]["context"] == "SIDECAR_INBOUND");
    // 1.5 compares portNumber with the listener's own port, and inbound traffic is on
    // virtualInbound: no port, so the patch reaches every inbound chain. 1.6 matches ports.
    if (std::string(version) == "1.5") CHECK_FALSE(patch["match"]["listener"].contains("portNumber"));
    else CHECK(patch["match"]["listener"]["portNumber"] == 9080);
    CHECK(patch["match"]["listener"]["filterChain"]["filter"]["name"] == "envoy.http_connection_manager");
    CHECK(patch["match"]["listener"]["filterChain"]["filter"]["subFilter"]["name"] == "envoy.router");
    CHECK(patch["patch"]["operation"] == "INSERT_BEFORE");
    const Json& value = patch["patch"]["value"];
    CHECK(value["name"] == "envoy.filters.http.wasm");
    CHECK_FALSE(value.contains("typedConfig"));
    const Json& config = value["config"]["config"];
    CHECK(config["name"] == "test");
    CHECK(config["rootId"] == "add_header_root_id");
    CHECK(config["configuration"] == R"({"value":"hi-from-wasme"})");
    CHECK(config["vmConfig"]["vmId"] == "test");
    CHECK(config["vmConfig"]["runtime"] == "envoy.wasm.runtime.v8");
    CHECK(config["vmConfig"]["code"]["local"]["filename"] == "/var/local/lib/wasme-cache/" + spec.module.wasm_sha256);
    CHECK(config.size() == 4);
  }
}

TEST_CASE("Istio 1.7: canonical names, typedConfig TypedStruct around the v3 Wasm; 1.8+: the v3 Wasm itself") {
  for (const char* version : {"1.7", "1.8.1", "1.12", "1.18", "1.19", "v1.20", "1.24.0", "1.30", "1.31"}) {
    CAPTURE(version);
    auto spec = seed_spec(version);
    spec.ports.clear();
    Json f = render::envoy_filter(spec);
    REQUIRE(f["spec"]["configPatches"].size() == 1);
    const Json& patch = f["spec"]["configPatches"][0];
    CHECK_FALSE(patch["match"]["listener"].contains("portNumber"));
    // 1.19 dropped the lookup of the old names (istio/istio#45675): only these match there.
    CHECK(patch["match"]["listener"]["filterChain"]["filter"]["name"] ==
          "envoy.filters.network.http_connection_manager");
    CHECK(patch["match"]["listener"]["filterChain"]["filter"]["subFilter"]["name"] == "envoy.filters.http.router");
    const Json& value = patch["patch"]["value"];
    CHECK(value["name"] == "envoy.filters.http.wasm");
    CHECK_FALSE(value.contains("config"));
    const Json& typed = value["typedConfig"];
    bool istio_1_7 = std::string(version) == "1.7";
    if (istio_1_7) {
      CHECK(typed["@type"] == "type.googleapis.com/udpa.type.v1.TypedStruct");
      CHECK(typed["typeUrl"] == "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm");
    } else {
      CHECK(typed["@type"] == "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm");
      CHECK(typed.size() == 2);
    }
    const Json& config = istio_1_7 ? typed["value"]["config"] : typed["config"];
    CHECK(config["name"] == "test");
    CHECK(config["rootId"] == "add_header_root_id");
    CHECK(config["configuration"] == Json{{"@type", "type.googleapis.com/google.protobuf.StringValue"},
                                          {"value", R"({"value":"hi-from-wasme"})"}});
    CHECK(config["vmConfig"] ==
          Json{{"vmId", "test"},
               {"runtime", "envoy.wasm.runtime.v8"},
               {"code", {{"local", {{"filename", "/var/local/lib/wasme-cache/" + spec.module.wasm_sha256}}}}}});
  }
}

TEST_CASE("patch context, empty selector and empty config") {
  auto spec = seed_spec("1.8");
  spec.selector.clear();
  spec.config.clear();
  struct Case {
    render::PatchContext context;
    const char* expected;
  };
  for (const Case& c : {Case{render::PatchContext::inbound, "SIDECAR_INBOUND"},
                        Case{render::PatchContext::outbound, "SIDECAR_OUTBOUND"},
                        Case{render::PatchContext::gateway, "GATEWAY"}, Case{render::PatchContext::any, "ANY"}}) {
    spec.context = c.context;
    Json f = render::envoy_filter(spec);
    CHECK(f["spec"]["configPatches"][0]["match"]["context"] == c.expected);
    CHECK_FALSE(f["spec"].contains("workloadSelector"));
    CHECK_FALSE(f["spec"]["configPatches"][0]["patch"]["value"]["typedConfig"]["config"].contains("configuration"));
  }
  CHECK(render::parse_patch_context("outbound") == render::PatchContext::outbound);
  CHECK_THROWS_AS(render::parse_patch_context("sidecar"), Error);
}

TEST_CASE("a config with quotes, newlines, #, ': ' and unicode reaches the filter unchanged") {
  std::string config = "{\"a\": \"it's \\\"quoted\\\"\"}\n# not a comment\nkey: value\n\xE2\x9C\x93 \xF0\x9F\x98\x80";
  for (const char* version : {"1.4", "1.5", "1.7", "1.30"}) {
    auto spec = seed_spec(version);
    spec.config = config;
    auto docs = render::parse_yaml_stream(render::to_yaml(render::envoy_filter(spec)), "out");
    const Json& value = docs[0]["spec"]["configPatches"][0]["patch"]["value"];
    std::string v = version;
    std::string got = v == "1.4" || v == "1.5" ? value["config"]["config"]["configuration"]
                      : v == "1.7"             ? value["typedConfig"]["value"]["config"]["configuration"]["value"]
                                               : value["typedConfig"]["config"]["configuration"]["value"];
    CHECK(got == config);
  }
}

TEST_CASE("WasmPlugin: oci url, manifest digest, plugin name and config, pull options") {
  auto spec = seed_spec("1.20");
  spec.ports.clear();
  spec.name = "wasme-test";
  render::WasmPluginOptions options;
  options.image_pull_policy = "Always";
  options.image_pull_secret = "regcred";
  options.phase = "AUTHZ";
  options.priority = 10;
  Json p = render::wasm_plugin(spec, options);
  CHECK(p["apiVersion"] == "extensions.istio.io/v1alpha1");
  CHECK(p["kind"] == "WasmPlugin");
  CHECK(p["metadata"]["name"] == "wasme-test");
  CHECK(p["metadata"]["namespace"] == "default");
  const Json& s = p["spec"];
  CHECK(s["selector"] == Json{{"matchLabels", {{"app", "details"}}}});
  CHECK(s["url"] == "oci://webassemblyhub.io/yuval-k/istio-example:1.4.2");
  CHECK(s["sha256"] == std::string(64, 'c'));
  CHECK(s["imagePullPolicy"] == "Always");
  CHECK(s["imagePullSecret"] == "regcred");
  CHECK(s["pluginName"] == "add_header_root_id");
  CHECK(s["pluginConfig"] == Json{{"value", "hi-from-wasme"}});
  CHECK(s["phase"] == "AUTHZ");
  CHECK(s["priority"] == 10);
  // From 1.16 an empty match is all traffic, outbound too: an inbound plugin says so.
  CHECK(s["match"] == Json::array({{{"mode", "SERVER"}}}));

  spec.ports = {9080};
  CHECK(render::wasm_plugin(spec, {})["spec"]["match"] ==
        Json::array({{{"mode", "SERVER"}, {"ports", Json::array({{{"number", 9080}}})}}}));
  CHECK_FALSE(render::wasm_plugin(spec, {})["spec"].contains("imagePullPolicy"));
}

TEST_CASE("WasmPlugin refuses a non-object config and unknown enum values") {
  auto spec = seed_spec("1.20");
  for (const char* bad : {"hi", "[1,2]", "\"str\"", "{broken"}) {
    CAPTURE(bad);
    spec.config = bad;
    CHECK_THROWS_AS(render::wasm_plugin(spec, {}), Error);
  }
  spec.config.clear();
  render::WasmPluginOptions options;
  options.phase = "LATE";
  CHECK_THROWS_AS(render::wasm_plugin(spec, options), Error);
  options = {};
  options.image_pull_policy = "Never";
  CHECK_THROWS_AS(render::wasm_plugin(spec, options), Error);
}

TEST_CASE("Istio versions parse; bad ones are usage errors") {
  struct Case {
    const char* text;
    int major, minor;
  };
  for (const Case& c : {Case{"1.4", 1, 4}, Case{"1.4.2", 1, 4}, Case{"v1.12", 1, 12}, Case{"1.20.0-beta.1", 1, 20},
                        Case{"2.0", 2, 0}}) {
    CAPTURE(c.text);
    auto v = render::IstioVersion::parse(c.text);
    CHECK(v.major == c.major);
    CHECK(v.minor == c.minor);
  }
  for (const char* bad : {"", "1", "1.", "one.four", "1.x", "1.3", "0.9", "-1.4", "1.4x", "99999.1"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(render::IstioVersion::parse(bad), Error);
  }
}

TEST_CASE("labels parse like kubectl -l and render back") {
  CHECK(render::parse_labels("app=details") == render::Labels{{"app", "details"}});
  CHECK(render::parse_labels("app=details,version=v1") == render::Labels{{"app", "details"}, {"version", "v1"}});
  CHECK(render::parse_labels("app.kubernetes.io/name=x,empty=") ==
        render::Labels{{"app.kubernetes.io/name", "x"}, {"empty", ""}});
  CHECK(render::label_selector({{"b", "2"}, {"a", "1"}}) == "a=1,b=2");
  for (const char* bad : {"app", "=x", "a=1,,b=2", "a=1,b"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(render::parse_labels(bad), Error);
  }
}

TEST_CASE("filter without id or root id, or without module hash, is refused") {
  auto spec = seed_spec("1.7");
  spec.id.clear();
  CHECK_THROWS_AS(render::envoy_filter(spec), Error);
  spec = seed_spec("1.7");
  spec.root_id.clear();
  CHECK_THROWS_AS(render::envoy_filter(spec), Error);
  spec = seed_spec("1.7");
  spec.module.wasm_sha256.clear();
  CHECK_THROWS_AS(render::envoy_filter(spec), Error);
}
