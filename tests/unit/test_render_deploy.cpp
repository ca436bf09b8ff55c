#include <doctest/doctest.h>

#include <functional>

#include <fstream>

#include "test_render_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/render/deploy.hpp"
#include "wasme/render/envoy.hpp"
#include "wasme/render/istio_versions.hpp"

using namespace wasme;
using wasme::render::Json;

namespace {

render::IstioDeployRequest request(const char* version = "1.7") { return render_test::sample_request(version); }

}  // namespace

TEST_CASE("plan without -f: cache objects, one filter named wasme-<id>, a patch and its command") {
  auto plan = render::plan_istio_deploy(request());
  REQUIRE(plan.cache.size() == 4);
  CHECK(plan.cache[2]["data"]["images"] == "example.com/f:v1\n");
  REQUIRE(plan.filters.size() == 1);
  CHECK(plan.filters[0]["metadata"]["name"] == "wasme-f");
  CHECK(plan.manifests.empty());
  CHECK(plan.patch == render::template_patch(render::required_annotations(render::IstioVersion::parse("1.7"), {})));
  CHECK(plan.patch_command ==
        "kubectl -n default patch $(kubectl -n default get deployment -l app=x -o name) --type=merge -p='" +
            plan.patch.dump() + "'");
  CHECK(plan.documents().size() == 5);
}

TEST_CASE("plan with -f: every document kept, workloads patched, one filter per workload") {
  std::ofstream("w.yaml") << "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n"
                             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: team}\n"
                             "spec: {template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, ports: "
                             "[{containerPort: 80}]}]}}}\n"
                             "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: b}\n"
                             "spec: {template: {metadata: {labels: {app: b}}, spec: {containers: [{name: c, ports: "
                             "[{containerPort: 81}]}]}}}\n";
  auto r = request("1.4");
  r.labels.clear();
  r.workload_files = {"w.yaml"};
  auto plan = render::plan_istio_deploy(r);
  REQUIRE(plan.manifests.size() == 3);
  CHECK(plan.manifests[0]["kind"] == "Service");
  CHECK(plan.manifests[1]["spec"]["template"]["metadata"]["annotations"]
                      ["traffic.sidecar.istio.io/includeInboundPorts"] == "80");
  REQUIRE(plan.filters.size() == 2);
  CHECK(plan.filters[0]["metadata"]["name"] == "a-f");
  CHECK(plan.filters[1]["metadata"]["name"] == "b-f");
  CHECK(plan.filters[1]["metadata"]["namespace"] == "default");
  CHECK(plan.filters[1]["spec"]["configPatches"][0]["match"]["listener"]["portNumber"] == 81);
  CHECK(plan.filters[0]["metadata"]["namespace"] == "team");
  CHECK(plan.filters[0]["spec"]["workloadSelector"]["labels"] == Json{{"app", "a"}});
  CHECK(plan.patch.is_null());
  CHECK(plan.patch_command.empty());
}

TEST_CASE("plan refuses Istio 1.4 for a workload without ports, naming the file") {
  std::ofstream("w.yaml") << "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: b}\n"
                             "spec: {template: {metadata: {labels: {app: b}}, spec: {containers: []}}}\n";
  auto r = request("1.4");
  r.workload_files = {"w.yaml"};
  CHECK_THROWS_AS(render::plan_istio_deploy(r), Error);
  r.ports = {8080};
  CHECK_NOTHROW(render::plan_istio_deploy(r));
}

TEST_CASE("labels, images and secret names Kubernetes would reject are refused, naming the flag") {
  auto refused = [](const std::function<void(render::IstioDeployRequest&)>& change) -> std::string {
    auto r = request();
    change(r);
    try {
      render::check_request(r);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  CHECK(refused([](auto& r) { r.labels = {{"a b", "c"}}; }).find("--labels: label key \"a b\"") == 0);
  CHECK(refused([](auto& r) { r.labels = {{std::string(300, 'k'), "c"}}; }).find("--labels: label key") == 0);
  CHECK(refused([](auto& r) { r.labels = {{"app", "has space"}}; }).find("--labels: label value") == 0);
  CHECK(refused([](auto& r) { r.labels = {{"example.com/app", "v1.2_3"}}; }).empty());
  CHECK(refused([](auto& r) { r.cache.image = "UPPER IMG"; }).find("--cache-image: ") == 0);
  CHECK(refused([](auto& r) { r.cache.pull_secret = "Bad Secret"; }).find("--cache-pull-secret \"Bad Secret\"") == 0);
  CHECK(refused([](auto& r) { r.plugin.image_pull_secret = "Bad Secret"; }).find("--image-pull-secret") == 0);
  CHECK_THROWS_WITH_AS(render::parse_labels("a b=c"), doctest::Contains("label key \"a b\""), Error);
}

TEST_CASE("requests Kubernetes or Istio would reject are usage errors naming the flag") {
  auto usage_error = [](const render::IstioDeployRequest& r) -> std::string {
    try {
      render::check_request(r);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      return e.what();
    }
    return "";
  };
  CHECK(usage_error(request()).empty());
  for (const char* id : {"Bad ID", "UPPER", "-lead", "trail-", "under_score", "a.b", ""}) {
    CAPTURE(id);
    auto r = request();
    r.id = id;
    CHECK(usage_error(r).find("--id \"" + std::string(id) + "\" is not a valid Kubernetes name") == 0);
  }
  auto r = request();
  r.id = std::string(63, 'a');
  CHECK(usage_error(r).empty());
  r.id += "a";
  CHECK_FALSE(usage_error(r).empty());
  r = request();
  r.namespace_name = "Bad_NS";
  CHECK(usage_error(r).find("--namespace") == 0);
  r = request();
  r.cache.name = "Cache";
  CHECK(usage_error(r).find("--cache-name") == 0);
  r = request("1.9");
  r.mode = render::DeployMode::wasm_plugin;
  CHECK(usage_error(r) == "--mode wasmplugin needs Istio 1.12 or later, not 1.9");
  r = request();
  r.plugin.phase = "AUTHN";
  CHECK(usage_error(r) == "--phase is a WasmPlugin option");
  r = request();
  r.plugin.priority = 3;
  CHECK(usage_error(r) == "--priority is a WasmPlugin option");
  CHECK_THROWS_AS(render::plan_istio_deploy(r), Error);
}

TEST_CASE("the default Istio version is the newest line the table knows") {
  CHECK(render::default_istio_version().str() == "1.30");
  CHECK(render::default_istio_version().at_least(1, render::istio_lines().back().from.minor));
}

TEST_CASE("wasmplugin plan: no cache, no patch") {
  auto r = request("1.12");
  r.mode = render::DeployMode::wasm_plugin;
  auto plan = render::plan_istio_deploy(r);
  CHECK(plan.cache.empty());
  CHECK(plan.patch.is_null());
  REQUIRE(plan.filters.size() == 1);
  CHECK(plan.filters[0]["kind"] == "WasmPlugin");
}

TEST_CASE("root id defaults to the image's first and must exist somewhere") {
  auto r = request();
  CHECK(render::root_id_for(r) == "root");
  r.root_id = "other";
  CHECK(render::root_id_for(r) == "other");
  r.root_id.clear();
  r.module.root_ids.clear();
  CHECK_THROWS_AS(render::root_id_for(r), Error);
}

TEST_CASE("ABI warnings at every boundary of the table: 0.1.0 from 1.5, 0.2.0 from 1.7, 0.2.1 from 1.8") {
  using wasm::ProxyAbi;
  struct Case {
    ProxyAbi abi;
    const char* istio;
    bool runs;
  };
  const Case cases[] = {
      {ProxyAbi::istio_1_4, "1.4", true},  {ProxyAbi::istio_1_4, "1.5", false}, {ProxyAbi::istio_1_4, "1.30", false},
      {ProxyAbi::pre_0_1_0, "1.4", false}, {ProxyAbi::pre_0_1_0, "1.5", false}, {ProxyAbi::pre_0_1_0, "1.30", false},
      {ProxyAbi::v0_1_0, "1.4", false},    {ProxyAbi::v0_1_0, "1.5", true},     {ProxyAbi::v0_1_0, "1.6", true},
      {ProxyAbi::v0_1_0, "1.12", true},    {ProxyAbi::v0_1_0, "1.30", true},    {ProxyAbi::v0_2_0, "1.6", false},
      {ProxyAbi::v0_2_0, "1.7", true},     {ProxyAbi::v0_2_0, "1.22", true},    {ProxyAbi::v0_2_1, "1.7", false},
      {ProxyAbi::v0_2_1, "1.8", true},     {ProxyAbi::v0_2_1, "1.15", true},    {ProxyAbi::v0_2_1, "1.16", true},
      {ProxyAbi::v0_2_1, "1.19", true},    {ProxyAbi::v0_2_1, "1.30", true},    {ProxyAbi::v0_2_1, "1.31", true},
      {ProxyAbi::none, "1.30", false},
  };
  for (const Case& c : cases) {
    CAPTURE(wasm::to_string(c.abi));
    CAPTURE(c.istio);
    render::ModuleFacts m;
    m.abi = c.abi;
    CHECK(render::abi_warning(m, render::IstioVersion::parse(c.istio)).empty() == c.runs);
  }
  render::ModuleFacts m;
  m.abi = ProxyAbi::v0_2_1;
  CHECK(render::abi_warning(m, render::IstioVersion::parse("1.7")) ==
        "the module exports proxy-wasm ABI v0.2.1, which Istio runs from 1.8 on, not 1.7; pass that "
        "--istio-version if the mesh has it, or rebuild with an older SDK");
  CHECK(render::abi_warning(m, render::IstioVersion::parse("1.4")).find("Istio 1.4's proxy cannot run") !=
        std::string::npos);
  m.abi = ProxyAbi::pre_0_1_0;
  CHECK(render::abi_warning(m, render::IstioVersion::parse("1.9")).find("no Istio release loads it") !=
        std::string::npos);
}

TEST_CASE("envoy bootstrap: wasm filter before the router, static or DNS upstream") {
  render::EnvoyBootstrapOptions o;
  o.id = "f";
  o.root_id = "root";
  o.module_path = "/store/blobs/sha256/aa";
  Json b = render::envoy_bootstrap(o);
  const Json& filters =
      b["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"];
  REQUIRE(filters.size() == 2);
  CHECK(filters[0]["name"] == "envoy.filters.http.wasm");
  CHECK(filters[0]["typed_config"]["config"]["vm_config"]["code"]["local"]["filename"] == "/store/blobs/sha256/aa");
  CHECK_FALSE(filters[0]["typed_config"]["config"].contains("configuration"));
  CHECK(filters[1]["name"] == "envoy.filters.http.router");
  CHECK(b["static_resources"]["clusters"][0]["type"] == "STATIC");
  o.upstream = render::HostPort::parse("svc.local:80");
  CHECK(render::envoy_bootstrap(o)["static_resources"]["clusters"][0]["type"] == "STRICT_DNS");
  o.listen_port = 0;
  CHECK_THROWS_AS(render::envoy_bootstrap(o), Error);
}

TEST_CASE("HostPort parses host:port and bracketed IPv6; rejects the rest") {
  struct Case {
    const char* text;
    const char* host;
    int port;
  };
  for (const Case& c : {Case{"127.0.0.1:9080", "127.0.0.1", 9080}, Case{"example.com:80", "example.com", 80},
                        Case{"[::1]:8080", "::1", 8080}, Case{"h:65535", "h", 65535}}) {
    CAPTURE(c.text);
    auto hp = render::HostPort::parse(c.text);
    CHECK(hp.host == c.host);
    CHECK(hp.port == c.port);
  }
  for (const char* bad :
       {"", "host", ":80", "h:", "h:0", "h:65536", "h:8o", "::1:80", "[::1]", "[::1]80", "h:123456"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(render::HostPort::parse(bad), Error);
  }
}
