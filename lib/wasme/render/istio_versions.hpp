#pragma once
#include <string>
#include <vector>

#include "wasme/oci/artifact.hpp"
#include "wasme/render/istio.hpp"
#include "wasme/wasm/module.hpp"

namespace wasme::render {

// How the wasm filter's configuration is written in an EnvoyFilter patch value.
enum class FilterConfigForm {
  seed_1_4,      // config.config, snake_case, vm_config.code.filename (the seed)
  struct_1_5,    // config.config, camelCase, vmConfig.code.local.filename, configuration a string
  typed_struct,  // typedConfig: udpa.type.v1.TypedStruct wrapping the v3 Wasm message
  typed_wasm,    // typedConfig: @type envoy.extensions.filters.http.wasm.v3.Wasm itself
};

// Which traffic of the selected workloads a WasmPlugin runs on.
enum class PluginTraffic {
  none,                  // no WasmPlugin before 1.12
  inbound_and_gateways,  // 1.12–1.13: sidecar inbound and gateways, no match field
  all_http,              // 1.14–1.15: every HTTP connection manager, outbound too, no match field
  match_field,           // 1.16+: spec.match; an empty match means all traffic
};

// WasmPlugin spec fields by the first Istio line that has them
// (istio/api extensions/v1alpha1/wasm.proto on each release branch).
struct PluginFields {
  bool vm_config = false;      // vmConfig.env (1.14)
  bool fail_strategy = false;  // FAIL_CLOSE, FAIL_OPEN (1.19)
  bool fail_reload = false;    // FAIL_RELOAD (1.27)
  bool type = false;           // HTTP, NETWORK (1.20)
  bool target_ref = false;     // one targetRef (1.20)
  bool target_refs = false;    // targetRefs, for waypoints and gateways (1.22)
};

// What one Istio line does with wasm filters. A row holds from its version up to the next row.
struct IstioLine {
  IstioVersion from;
  FilterConfigForm form = FilterConfigForm::typed_wasm;
  // The filter names an EnvoyFilter match must use (filterChain.filter / subFilter).
  const char* http_connection_manager = "";
  const char* router = "";
  // False where listener.portNumber cannot select inbound traffic (1.5 compares the port of
  // the listener, and inbound traffic arrives on virtualInbound 15006).
  bool inbound_port_match = true;
  PluginTraffic plugin = PluginTraffic::none;
  PluginFields fields;
  std::vector<wasm::ProxyAbi> abis;                              // what its proxy loads
  oci::IstioLayerRule images = oci::IstioLayerRule::no_fetcher;  // what its agent pulls
  const char* evidence = "";                                     // upstream files and branches behind the row
};

// Every row, oldest first (docs/ISTIO.md prints the same table).
const std::vector<IstioLine>& istio_lines();
// The row that describes v (the newest row for versions past the table).
const IstioLine& istio_line(const IstioVersion& v);
// The newest released Istio line the table knows: the default --istio-version.
IstioVersion newest_istio_version();
// True when v's proxy loads modules of this ABI.
bool istio_runs_abi(const IstioVersion& v, wasm::ProxyAbi abi);
// The first Istio version that loads this ABI ("" when none does).
std::string first_istio_for_abi(wasm::ProxyAbi abi);

// What one Istio version does with an image: does its proxy load the module's ABI, and does
// its agent pull the image's layout (WasmPlugin)? inspect, list and deploy all ask this.
struct IstioFit {
  IstioVersion version;
  bool loads_module = false;
  std::string abi_note;     // "Istio 1.8 and later", "pre-0.1.0: no Istio release loads it"
  bool no_fetcher = false;  // before 1.12: the node cache serves the module, nothing pulls
  bool agent_pulls = false;
  std::string pull_rejection;  // "" unless the agent refuses the layout, in Istio's words
  bool accepts() const { return loads_module && (agent_pulls || no_fetcher); }
  // "yes (Istio 1.30 loads the module; its agent pulls the image)" or "no (Istio 1.15): …".
  std::string verdict() const;
};
IstioFit istio_fit(wasm::ProxyAbi abi, const oci::Manifest& manifest, const IstioVersion& version);

}  // namespace wasme::render
