#include <doctest/doctest.h>

#include "wasme/render/istio_versions.hpp"

using namespace wasme;

TEST_CASE("the version table: rows ascend from 1.4, each with its evidence") {
  const auto& lines = render::istio_lines();
  REQUIRE(lines.size() >= 10);
  CHECK(lines.front().from.str() == "1.4");
  for (size_t i = 1; i < lines.size(); ++i) {
    CAPTURE(lines[i].from.str());
    CHECK(lines[i].from.at_least(1, lines[i - 1].from.minor + 1));
    CHECK(std::string(lines[i].evidence).size() > 20);
    CHECK_FALSE(lines[i].abis.empty());
  }
  CHECK(render::newest_istio_version().at_least(1, lines.back().from.minor));
}

TEST_CASE("the version table at each boundary") {
  struct Case {
    const char* version;
    render::FilterConfigForm form;
    const char* hcm;
    bool inbound_port_match;
    render::PluginTraffic plugin;
    oci::IstioLayerRule images;
  };
  using F = render::FilterConfigForm;
  using P = render::PluginTraffic;
  using L = oci::IstioLayerRule;
  const char* old_hcm = "envoy.http_connection_manager";
  const char* hcm = "envoy.filters.network.http_connection_manager";
  const Case cases[] = {
      {"1.4", F::seed_1_4, old_hcm, true, P::none, L::no_fetcher},
      {"1.5", F::struct_1_5, old_hcm, false, P::none, L::no_fetcher},
      {"1.6", F::struct_1_5, old_hcm, true, P::none, L::no_fetcher},
      {"1.7", F::typed_struct, hcm, true, P::none, L::no_fetcher},
      {"1.8", F::typed_wasm, hcm, true, P::none, L::no_fetcher},
      {"1.11", F::typed_wasm, hcm, true, P::none, L::no_fetcher},
      {"1.12", F::typed_wasm, hcm, true, P::inbound_and_gateways, L::single_layer},
      {"1.14", F::typed_wasm, hcm, true, P::all_http, L::single_layer},
      {"1.15", F::typed_wasm, hcm, true, P::all_http, L::single_layer},
      {"1.16", F::typed_wasm, hcm, true, P::match_field, L::last_layer},
      {"1.19", F::typed_wasm, hcm, true, P::match_field, L::last_layer},
      {"1.20", F::typed_wasm, hcm, true, P::match_field, L::last_layer},
      {"1.22", F::typed_wasm, hcm, true, P::match_field, L::last_layer},
      {"1.30", F::typed_wasm, hcm, true, P::match_field, L::last_layer},
      {"1.40", F::typed_wasm, hcm, true, P::match_field, L::last_layer},
  };
  for (const Case& c : cases) {
    CAPTURE(c.version);
    const auto& line = render::istio_line(render::IstioVersion::parse(c.version));
    CHECK(line.form == c.form);
    CHECK(std::string(line.http_connection_manager) == c.hcm);
    CHECK(line.inbound_port_match == c.inbound_port_match);
    CHECK(line.plugin == c.plugin);
    CHECK(line.images == c.images);
  }
  CHECK(render::first_istio_for_abi(wasm::ProxyAbi::istio_1_4) == "1.4");
  CHECK(render::first_istio_for_abi(wasm::ProxyAbi::v0_1_0) == "1.5");
  CHECK(render::first_istio_for_abi(wasm::ProxyAbi::v0_2_0) == "1.7");
  CHECK(render::first_istio_for_abi(wasm::ProxyAbi::v0_2_1) == "1.8");
  CHECK(render::first_istio_for_abi(wasm::ProxyAbi::pre_0_1_0).empty());
  CHECK(render::first_istio_for_abi(wasm::ProxyAbi::none).empty());
}
