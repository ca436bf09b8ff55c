#include <doctest/doctest.h>

#include "wasme/image/abi_check.hpp"

using wasme::image::abi_mismatch;
using wasme::wasm::ProxyAbi;

TEST_CASE("abi_mismatch: declared ABI versus the module's exports") {
  struct Case {
    std::vector<std::string> declared;
    ProxyAbi module;
    bool warns;
    std::string fragment;
  };
  const Case cases[] = {
      {{}, ProxyAbi::v0_2_1, false, ""},
      {{"v0.2.1"}, ProxyAbi::v0_2_1, false, ""},
      {{"v0.2.0", "v0.2.1"}, ProxyAbi::v0_2_1, false, ""},
      {{"v0.2.0"},
       ProxyAbi::v0_2_1,
       true,
       "declares ABI v0.2.0 but the module exports v0.2.1 (proxy_abi_version_0_2_1)"},
      {{"v0.1.0"}, ProxyAbi::v0_2_0, true, "exports v0.2.0"},
      {{"v0-6d525c67f39b36cdff9d688697f266c1b55e9cb7"}, ProxyAbi::istio_1_4, false, ""},
      {{"v0.2.1"}, ProxyAbi::istio_1_4, true, "exports no proxy_abi_version_* function"},
      {{"v0-4689a30309abf31aee9ae36e73d34b1bb182685f"}, ProxyAbi::v0_2_1, true, "exports v0.2.1"},
      {{"v0.2.1"}, ProxyAbi::none, false, ""},
  };
  for (const auto& c : cases) {
    wasme::oci::RuntimeConfig config;
    config.abi_versions = c.declared;
    auto warning = abi_mismatch(config, c.module);
    CAPTURE(c.fragment);
    CHECK(warning.has_value() == c.warns);
    if (warning) CHECK(warning->find(c.fragment) != std::string::npos);
  }
}
