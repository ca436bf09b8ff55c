#include "wasme/render/istio_versions.hpp"

#include <algorithm>

namespace wasme::render {
namespace {

using wasm::ProxyAbi;
using Layers = oci::IstioLayerRule;

constexpr const char* old_hcm = "envoy.http_connection_manager";
constexpr const char* old_router = "envoy.router";
constexpr const char* hcm = "envoy.filters.network.http_connection_manager";
constexpr const char* router = "envoy.filters.http.router";

const std::vector<ProxyAbi> versioned_abis = {ProxyAbi::v0_1_0, ProxyAbi::v0_2_0, ProxyAbi::v0_2_1};

IstioLine row(int minor, FilterConfigForm form, const char* http_connection_manager, const char* router_name,
              std::vector<ProxyAbi> abis, const char* evidence) {
  IstioLine line;
  line.from = IstioVersion{1, minor};
  line.form = form;
  line.http_connection_manager = http_connection_manager;
  line.router = router_name;
  line.abis = std::move(abis);
  line.evidence = evidence;
  return line;
}

// Each row changes what the one before it says; the evidence names the upstream source.
std::vector<IstioLine> make_lines() {
  std::vector<IstioLine> lines;
  lines.push_back(row(4, FilterConfigForm::seed_1_4, old_hcm, old_router, {ProxyAbi::istio_1_4},
                      "the seed; istio/proxy 1.4.2 WORKSPACE pins istio/envoy 6d525c67, whose "
                      "api/wasm/cpp/proxy_wasm_intrinsics.cc exports camelCase callbacks"));
  IstioLine l15 = row(5, FilterConfigForm::struct_1_5, old_hcm, old_router, {ProxyAbi::v0_1_0},
                      "istio/istio release-1.5 listener_patch.go: exact name match, listenerMatch "
                      "compares the listener's own port; istio/envoy 759e9e1c wasm.cc requires "
                      "proxy_abi_version_0_1_0, wasm/v2 PluginConfig.configuration is a string");
  l15.inbound_port_match = false;
  lines.push_back(l15);
  lines.push_back(row(6, FilterConfigForm::struct_1_5, old_hcm, old_router, {ProxyAbi::v0_1_0},
                      "istio/istio release-1.6 listener_patch.go filterChainMatch compares "
                      "DestinationPort; istio/envoy 61441029 accepts only 0_1_0"));
  lines.push_back(row(7, FilterConfigForm::typed_struct, hcm, router, {ProxyAbi::v0_1_0, ProxyAbi::v0_2_0},
                      "istio/istio release-1.7 listener_patch.go DeprecatedFilterNames (old and "
                      "canonical names match); go-control-plane 803dd64f has no wasm/v3, so only a "
                      "TypedStruct can carry it; proxy-wasm-cpp-host 51e20135 knows 0_1_0 and 0_2_0"));
  lines.push_back(row(8, FilterConfigForm::typed_wasm, hcm, router, versioned_abis,
                      "istio/istio release-1.8 pkg/config/xds/filter_types.gen.go imports "
                      "filters/http/wasm/v3; istio/proxy 1.8.0 pins proxy-wasm-cpp-host 49ed20e "
                      "(AbiVersion ProxyWasm_0_2_1)"));
  IstioLine l12 = lines.back();
  l12.from = IstioVersion{1, 12};
  l12.plugin = PluginTraffic::inbound_and_gateways;
  l12.images = Layers::single_layer;
  l12.evidence =
      "istio/api release-1.12 extensions/v1alpha1/wasm.proto (WasmPlugin); istio/istio "
      "release-1.12 listener_builder.go injects into sidecar inbound, gateway.go into "
      "gateways; pkg/wasm/imagefetcher.go: \"number of layers must be 1\" for tar images";
  lines.push_back(l12);
  IstioLine l14 = l12;
  l14.from = IstioVersion{1, 14};
  l14.plugin = PluginTraffic::all_http;
  l14.fields.vm_config = true;
  l14.evidence =
      "istio/api release-1.14 wasm.proto adds vmConfig; istio/istio release-1.14 "
      "listener.go buildHTTPConnectionManager injects into every HTTP connection manager "
      "(outbound too, istio/istio#40787)";
  lines.push_back(l14);
  IstioLine l16 = l14;
  l16.from = IstioVersion{1, 16};
  l16.plugin = PluginTraffic::match_field;
  l16.images = Layers::last_layer;
  l16.evidence =
      "istio/api release-1.16 wasm.proto adds match (TrafficSelector); istio/istio "
      "release-1.16 pilot/pkg/model/extensions.go matchTrafficSelectors: empty match is "
      "all traffic; imagefetcher.go uses the last layer";
  lines.push_back(l16);
  IstioLine l19 = l16;
  l19.from = IstioVersion{1, 19};
  l19.fields.fail_strategy = true;
  l19.evidence =
      "istio/istio release-1.19 listener_patch.go: exact name comparison, the "
      "deprecated-name lookup removed (istio/istio#45675); istio/api release-1.19 "
      "wasm.proto adds failStrategy FAIL_CLOSE, FAIL_OPEN";
  lines.push_back(l19);
  IstioLine l20 = l19;
  l20.from = IstioVersion{1, 20};
  l20.fields.type = true;
  l20.fields.target_ref = true;
  l20.evidence =
      "istio/api release-1.20 wasm.proto adds type (HTTP, NETWORK) and targetRef; the "
      "CRD requires url and a 64-hex sha256";
  lines.push_back(l20);
  IstioLine l22 = l20;
  l22.from = IstioVersion{1, 22};
  l22.fields.target_refs = true;
  l22.evidence = "istio/api release-1.22 wasm.proto adds targetRefs";
  lines.push_back(l22);
  IstioLine l27 = l22;
  l27.from = IstioVersion{1, 27};
  l27.fields.fail_reload = true;
  l27.evidence =
      "istio/api release-1.27 wasm.proto adds FAIL_RELOAD; unchanged for wasm through "
      "release-1.30 (and the release-1.31 candidate)";
  lines.push_back(l27);
  return lines;
}

}  // namespace

const std::vector<IstioLine>& istio_lines() {
  static const std::vector<IstioLine> lines = make_lines();
  return lines;
}

const IstioLine& istio_line(const IstioVersion& v) {
  const auto& lines = istio_lines();
  const IstioLine* found = &lines.front();
  for (const auto& line : lines) {
    if (v.at_least(line.from.major, line.from.minor)) found = &line;
  }
  return *found;
}

IstioVersion newest_istio_version() { return IstioVersion{1, 30}; }

bool istio_runs_abi(const IstioVersion& v, wasm::ProxyAbi abi) {
  const auto& abis = istio_line(v).abis;
  return std::find(abis.begin(), abis.end(), abi) != abis.end();
}

std::string first_istio_for_abi(wasm::ProxyAbi abi) {
  for (const auto& line : istio_lines()) {
    if (std::find(line.abis.begin(), line.abis.end(), abi) != line.abis.end()) return line.from.str();
  }
  return "";
}

IstioFit istio_fit(wasm::ProxyAbi abi, const oci::Manifest& manifest, const IstioVersion& version) {
  IstioFit fit;
  fit.version = version;
  fit.loads_module = istio_runs_abi(version, abi);
  std::string first = first_istio_for_abi(abi);
  if (abi == wasm::ProxyAbi::istio_1_4) fit.abi_note = "Istio 1.4 only";
  else if (!first.empty()) fit.abi_note = "Istio " + first + " and later";
  else if (abi == wasm::ProxyAbi::pre_0_1_0) fit.abi_note = "pre-0.1.0: no Istio release loads it";
  else fit.abi_note = "not a proxy-wasm module";
  oci::IstioLayerRule rule = istio_line(version).images;
  fit.no_fetcher = rule == oci::IstioLayerRule::no_fetcher;
  if (!fit.no_fetcher) fit.pull_rejection = oci::istio_rejection_reason(manifest, rule);
  fit.agent_pulls = !fit.no_fetcher && fit.pull_rejection.empty();
  return fit;
}

std::string IstioFit::verdict() const {
  std::string v = "Istio " + version.str();
  if (!loads_module) return "no (" + v + "): its proxy cannot load this module's ABI";
  if (no_fetcher) return "yes (" + v + " loads the module, served by the node cache)";
  if (!agent_pulls) return "no (" + v + "): its agent will not pull the image: " + pull_rejection;
  return "yes (" + v + " loads the module; its agent pulls the image)";
}

}  // namespace wasme::render
