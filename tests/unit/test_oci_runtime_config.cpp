#include <doctest/doctest.h>

#include <string>

#include "wasme/core/error.hpp"
#include "wasme/oci/runtime_config.hpp"

using wasme::Error;
using wasme::oci::RuntimeConfig;

namespace {

struct Good {
  std::string input;
  std::string serialized;
};

struct Bad {
  std::string input;
  std::string message;
};

}  // namespace

TEST_CASE("runtime config serializes exactly like the original") {
  RuntimeConfig config;
  config.abi_versions = {"v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f"};
  config.root_ids = {"add_header_root_id"};
  CHECK(
      config.serialize() ==
      R"({"type":"envoy_proxy","abiVersions":["v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f"],"config":{"rootIds":["add_header_root_id"]}})");
  CHECK(RuntimeConfig{}.serialize() == R"({"type":"envoy_proxy","abiVersions":[],"config":{"rootIds":[]}})");
  CHECK(RuntimeConfig::parse(config.serialize()) == config);
}

TEST_CASE("runtime config accepts both spellings") {
  const Good cases[] = {
      {R"({"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["r"]}})",
       R"({"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["r"]}})"},
      {R"({"type":"envoy_proxy","abi_versions":["v0.2.1"],"config":{"root_ids":["r"]}})",
       R"({"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["r"]}})"},
      {R"({"config":{"rootIds":["a","b"]},"abiVersions":["x","y"],"type":"other"})",
       R"({"type":"other","abiVersions":["x","y"],"config":{"rootIds":["a","b"]}})"},
      {R"({"abiVersions":null,"config":{"rootIds":null}})",
       R"({"type":"envoy_proxy","abiVersions":[],"config":{"rootIds":[]}})"},
      {R"({"type":"envoy_proxy","config":null})", R"({"type":"envoy_proxy","abiVersions":[],"config":{"rootIds":[]}})"},
      {"{}", R"({"type":"envoy_proxy","abiVersions":[],"config":{"rootIds":[]}})"},
      {" { \"config\" : { } } \n", R"({"type":"envoy_proxy","abiVersions":[],"config":{"rootIds":[]}})"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    CHECK(RuntimeConfig::parse(c.input).serialize() == c.serialized);
  }
}

TEST_CASE("runtime config rejects bad input with a clear message") {
  const Bad cases[] = {
      {"", "runtime config: not valid JSON"},
      {"[]", "runtime config: expected a JSON object, got an array"},
      {R"({"type":"envoy_proxy","rootIds":["r"]})",
       "runtime config: unknown field \"rootIds\" (allowed: type, abiVersions, abi_versions, config)"},
      {R"({"config":{"roots":[]}})", "runtime config: config: unknown field \"roots\" (allowed: rootIds, root_ids)"},
      {R"({"type":7})", "runtime config: type: expected a string, got an integer"},
      {R"({"type":null})", "runtime config: type: expected a string, got a null"},
      {R"({"type":""})", "runtime config: type: must not be empty"},
      {R"({"abiVersions":"v0.2.1"})", "runtime config: abiVersions: expected a list of strings, got a string"},
      {R"({"abi_versions":[1]})", "runtime config: abi_versions[0]: expected a string, got an integer"},
      {R"({"abiVersions":[],"abi_versions":[]})", "both \"abiVersions\" and \"abi_versions\" given"},
      {R"({"config":[]})", "runtime config: config: expected an object, got an array"},
      {R"({"config":{"rootIds":{}}})", "runtime config: config.rootIds: expected a list of strings"},
      {R"({"config":{"rootIds":["a",null]}})", "runtime config: config.rootIds[1]: expected a string, got a null"},
      {R"({"config":{"rootIds":[],"root_ids":[]}})", "config: both \"rootIds\" and \"root_ids\" given"},
      {std::string(1 << 20, ' ') + "{}", "over the 1 MiB limit"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    try {
      RuntimeConfig::parse(c.input);
      FAIL("accepted a bad runtime config");
    } catch (const Error& e) {
      CHECK(e.kind() == wasme::ErrorKind::invalid_input);
      CHECK(std::string(e.what()).find(c.message) != std::string::npos);
    }
  }
  CHECK_THROWS_WITH_AS(RuntimeConfig::parse("{\"x\":1}", "filters/runtime-config.json"),
                       doctest::Contains("filters/runtime-config.json: unknown field \"x\""), Error);
}

TEST_CASE("the 2019 config") {
  RuntimeConfig config =
      wasme::oci::parse_solo_2019_config(R"({"roots":[{"id":"add_header_root_id"},{"id":"b","x":1}]})");
  CHECK(config.type == "envoy_proxy");
  CHECK(config.abi_versions.empty());
  CHECK(config.root_ids == std::vector<std::string>{"add_header_root_id", "b"});
  CHECK(wasme::oci::parse_solo_2019_config("{}").root_ids.empty());
  CHECK(wasme::oci::parse_solo_2019_config(R"({"roots":null})").root_ids.empty());
  CHECK(wasme::oci::parse_solo_2019_config(R"({"roots":[{}]})").root_ids == std::vector<std::string>{""});

  const Bad cases[] = {
      {"nope", "2019 config: not valid JSON"},
      {R"({"roots":{}})", "2019 config: roots: expected a list, got an object"},
      {R"({"roots":["x"]})", "2019 config: roots[0]: expected an object, got a string"},
      {R"({"roots":[{"id":1}]})", "2019 config: roots[0].id: expected a string, got an integer"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    CHECK_THROWS_WITH_AS(wasme::oci::parse_solo_2019_config(c.input), doctest::Contains(c.message.c_str()), Error);
  }
}
