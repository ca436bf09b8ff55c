#include <doctest/doctest.h>

#include "test_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/render/wasm_plugin.hpp"

using namespace wasme;
using wasme::render::Json;

namespace {

render::FilterSpec plugin_spec(const char* version) {
  render::FilterSpec spec;
  spec.id = "test";
  spec.root_id = "root";
  spec.istio = render::IstioVersion::parse(version);
  spec.name = "wasme-test";
  spec.namespace_name = "default";
  spec.selector = {{"app", "details"}};
  spec.module.reference = "example.com/f:v1";
  spec.module.wasm_sha256 = std::string(64, 'a');
  spec.module.manifest_digest = std::string(64, 'c');
  return spec;
}

// Why wasm_plugin refuses spec with options, a usage error ("" when it renders them).
std::string usage_error(const render::FilterSpec& spec, const render::WasmPluginOptions& options) {
  return test_support::error_of([&] { render::wasm_plugin(spec, options); }, ErrorKind::usage);
}

}  // namespace

TEST_CASE("WasmPlugin before 1.12 does not exist") {
  CHECK(usage_error(plugin_spec("1.11"), {}) == "--mode wasmplugin needs Istio 1.12 or later, not 1.11");
  CHECK(usage_error(plugin_spec("1.12"), {}).empty());
}

TEST_CASE("WasmPlugin match: only from 1.16; before, --port and the contexts the version cannot do are refused") {
  auto spec = plugin_spec("1.15");
  CHECK_FALSE(render::wasm_plugin(spec, {})["spec"].contains("match"));
  spec.ports = {9080};
  CHECK(usage_error(spec, {}) == "--port (WasmPlugin match.ports) needs Istio 1.16 or later, not 1.15");
  spec.ports.clear();
  // 1.12–1.13 run a plugin on sidecar inbound and gateways only.
  spec.istio = render::IstioVersion::parse("1.12");
  spec.context = render::PatchContext::outbound;
  CHECK(usage_error(spec, {}) ==
        "--patch-context outbound (WasmPlugin match.mode) needs Istio 1.16 or later, not 1.12");
  spec.context = render::PatchContext::any;
  CHECK_FALSE(usage_error(spec, {}).empty());
  spec.context = render::PatchContext::gateway;
  CHECK(usage_error(spec, {}).empty());
  // 1.14–1.15 run it on every HTTP connection manager: "any" is what they do; inbound warns.
  spec.istio = render::IstioVersion::parse("1.14");
  spec.context = render::PatchContext::any;
  CHECK(usage_error(spec, {}).empty());
  CHECK(render::plugin_traffic_warning(spec).empty());
  spec.context = render::PatchContext::inbound;
  CHECK(render::plugin_traffic_warning(spec).find("outbound too") != std::string::npos);
  spec.istio = render::IstioVersion::parse("1.13");
  CHECK(render::plugin_traffic_warning(spec).empty());

  // 1.16+: an empty match is all traffic, so every context says its mode.
  spec = plugin_spec("1.16");
  struct Case {
    render::PatchContext context;
    const char* mode;
  };
  for (const Case& c : {Case{render::PatchContext::inbound, "SERVER"}, Case{render::PatchContext::outbound, "CLIENT"},
                        Case{render::PatchContext::any, "CLIENT_AND_SERVER"}}) {
    spec.context = c.context;
    CHECK(render::wasm_plugin(spec, {})["spec"]["match"] == Json::array({{{"mode", c.mode}}}));
  }
  spec.context = render::PatchContext::inbound;
  spec.ports = {80, 443};
  CHECK(render::wasm_plugin(spec, {})["spec"]["match"][0]["ports"] ==
        Json::array({{{"number", 80}}, {{"number", 443}}}));
}

TEST_CASE("WasmPlugin fields appear only where the version has them") {
  struct Case {
    const char* flag;
    render::WasmPluginOptions options;
    const char* field;
    const char* first;   // the first version that has the field
    const char* before;  // the version before it
  };
  render::WasmPluginOptions env, fail, reload, type;
  env.vm_env = {{"LEVEL", "debug"}};
  fail.fail_strategy = "FAIL_OPEN";
  reload.fail_strategy = "FAIL_RELOAD";
  type.type = "HTTP";
  const Case cases[] = {
      {"--vm-env", env, "vmConfig", "1.14", "1.13"},
      {"--fail-strategy", fail, "failStrategy", "1.19", "1.18"},
      {"FAIL_RELOAD", reload, "failStrategy", "1.27", "1.26"},
      {"--type", type, "type", "1.20", "1.19"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.flag);
    auto spec = plugin_spec(c.first);
    Json p = render::wasm_plugin(spec, c.options);
    CHECK(p["spec"].contains(c.field));
    spec.istio = render::IstioVersion::parse(c.before);
    std::string error = usage_error(spec, c.options);
    CHECK(error.find(c.flag) == 0);
    CHECK(error.find(std::string("needs Istio ") + c.first) != std::string::npos);
    CHECK_FALSE(render::wasm_plugin(plugin_spec(c.first), {})["spec"].contains(c.field));
  }
  CHECK(render::wasm_plugin(plugin_spec("1.14"), env)["spec"]["vmConfig"] ==
        Json{{"env", Json::array({{{"name", "LEVEL"}, {"value", "debug"}}})}});
  render::WasmPluginOptions bad;
  bad.fail_strategy = "FAIL_LATER";
  CHECK(usage_error(plugin_spec("1.30"), bad).find("invalid --fail-strategy") == 0);
  bad = {};
  bad.type = "TCP";
  CHECK(usage_error(plugin_spec("1.30"), bad).find("invalid --type") == 0);
}

TEST_CASE("WasmPlugin targets: targetRef on 1.20–1.21, targetRefs from 1.22, never with --labels") {
  render::WasmPluginOptions one;
  one.targets = {render::IstioTarget::parse("Gateway/waypoint")};
  auto spec = plugin_spec("1.20");
  spec.selector.clear();
  Json p = render::wasm_plugin(spec, one);
  CHECK(p["spec"]["targetRef"] ==
        Json{{"group", "gateway.networking.k8s.io"}, {"kind", "Gateway"}, {"name", "waypoint"}});
  CHECK_FALSE(p["spec"].contains("targetRefs"));
  CHECK_FALSE(p["spec"].contains("match"));  // a targeted plugin runs on what it targets
  spec.istio = render::IstioVersion::parse("1.19");
  CHECK(usage_error(spec, one).find("--target-ref needs Istio 1.20") == 0);

  render::WasmPluginOptions two = one;
  two.targets.push_back(render::IstioTarget::parse("Gateway/ingress"));
  spec.istio = render::IstioVersion::parse("1.21");
  CHECK(usage_error(spec, two).find("more than one --target-ref needs Istio 1.22") == 0);
  spec.istio = render::IstioVersion::parse("1.22");
  p = render::wasm_plugin(spec, two);
  CHECK(p["spec"]["targetRefs"] ==
        Json::array({{{"group", "gateway.networking.k8s.io"}, {"kind", "Gateway"}, {"name", "waypoint"}},
                     {{"group", "gateway.networking.k8s.io"}, {"kind", "Gateway"}, {"name", "ingress"}}}));
  CHECK_FALSE(p["spec"].contains("targetRef"));

  render::WasmPluginOptions service;
  service.targets = {render::IstioTarget::parse("Service/reviews")};
  CHECK(usage_error(spec, service).find("--target-ref Service/… needs Istio 1.23") == 0);
  spec.istio = render::IstioVersion::parse("1.23");
  CHECK(render::wasm_plugin(spec, service)["spec"]["targetRefs"][0]["group"] == "");
  spec.istio = render::IstioVersion::parse("1.22");
  render::WasmPluginOptions entry;
  entry.targets = {render::IstioTarget::parse("ServiceEntry/ext")};
  CHECK(usage_error(spec, entry).find("--target-ref ServiceEntry/… needs Istio 1.24") == 0);
  spec.istio = render::IstioVersion::parse("1.24");
  CHECK(render::wasm_plugin(spec, entry)["spec"]["targetRefs"][0]["group"] == "networking.istio.io");

  spec.selector = {{"app", "x"}};
  CHECK(usage_error(spec, one).find("--target-ref and --labels") == 0);
  for (const char* bad : {"Pod/x", "Gateway", "gateway/x", "Gateway/Bad Name", "/x"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(render::IstioTarget::parse(bad), Error);
  }
}
