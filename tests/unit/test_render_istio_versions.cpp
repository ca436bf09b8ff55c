#include <doctest/doctest.h>

#include "wasme/oci/digest.hpp"
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

TEST_CASE("istio_fit: the ABI and the agent's layout rule of one version") {
  oci::Manifest wasme_artifact = oci::make_wasm_manifest({}, oci::sha256_of("m"), 1);
  auto fit = render::istio_fit(wasm::ProxyAbi::v0_2_1, wasme_artifact, render::IstioVersion::parse("1.30"));
  CHECK(fit.accepts());
  CHECK(fit.abi_note == "Istio 1.8 and later");
  CHECK(fit.verdict() == "yes (Istio 1.30 loads the module; its agent pulls the image)");
  fit = render::istio_fit(wasm::ProxyAbi::v0_2_1, wasme_artifact, render::IstioVersion::parse("1.9"));
  CHECK(fit.no_fetcher);
  CHECK(fit.accepts());  // served by the node cache
  fit = render::istio_fit(wasm::ProxyAbi::istio_1_4, wasme_artifact, render::IstioVersion::parse("1.30"));
  CHECK_FALSE(fit.accepts());
  CHECK(fit.verdict() == "no (Istio 1.30): its proxy cannot load this module's ABI");
  oci::Manifest two_tar = wasme_artifact;
  two_tar.layers = {two_tar.layers[0], two_tar.layers[0]};
  for (auto& layer : two_tar.layers) layer.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  fit = render::istio_fit(wasm::ProxyAbi::v0_2_1, two_tar, render::IstioVersion::parse("1.15"));
  CHECK_FALSE(fit.accepts());
  CHECK(fit.pull_rejection.find("number of layers must be 1 but got 2") != std::string::npos);
  CHECK(render::istio_fit(wasm::ProxyAbi::v0_2_1, two_tar, render::IstioVersion::parse("1.16")).accepts());
  CHECK(render::istio_fit(wasm::ProxyAbi::pre_0_1_0, two_tar, render::IstioVersion::parse("1.16")).abi_note ==
        "pre-0.1.0: no Istio release loads it");
}
