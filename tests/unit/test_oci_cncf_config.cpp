// The CNCF wasm config: oci-wasm's exact bytes, and what its reader requires.
#include <doctest/doctest.h>

#include <string>

#include "test_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/oci/cncf_config.hpp"
#include "wasme/oci/media_types.hpp"

using namespace wasme;

namespace {

// Why parse refuses json ("" when it accepts it).
std::string parse_error(std::string_view json) {
  return test_support::error_of([&] { oci::CncfConfig::parse(json); }, ErrorKind::invalid_input);
}

const oci::Digest module_digest = oci::sha256_of("module");

}  // namespace

TEST_CASE("for_module serializes as oci-wasm does, created from SOURCE_DATE_EPOCH or the epoch") {
  test_support::ScopedEnv no_epoch("SOURCE_DATE_EPOCH", std::nullopt);
  oci::CncfConfig config = oci::CncfConfig::for_module(module_digest);
  // bytecodealliance/rust-oci-wasm v0.4.0 src/config.rs: camelCase, declaration order, null
  // for absent optionals.
  CHECK(config.serialize() == R"({"created":"1970-01-01T00:00:00Z","author":null,"architecture":"wasm","os":"wasip1",)"
                              R"("layerDigests":[")" +
                                  module_digest.str() + R"("],"component":null})");
  {
    test_support::ScopedEnv epoch("SOURCE_DATE_EPOCH", "1700000000");
    CHECK(oci::CncfConfig::for_module(module_digest).created == "2023-11-14T22:13:20Z");
  }
  {
    test_support::ScopedEnv epoch("SOURCE_DATE_EPOCH", "yesterday");
    CHECK(oci::CncfConfig::for_module(module_digest).created == "1970-01-01T00:00:00Z");
  }

  oci::CncfConfig back = oci::CncfConfig::parse(config.serialize());
  CHECK(back.layer_digests == config.layer_digests);
  CHECK(back.os == "wasip1");
  CHECK_FALSE(back.author.has_value());
}

TEST_CASE("parse reads what oci-wasm and wkg write, components too") {
  auto c = oci::CncfConfig::parse(
      R"({"created":"2024-10-25T16:56:12.123456789Z","author":"me","architecture":"wasm","os":"wasip2",)"
      R"("layerDigests":[")" +
      module_digest.str() +
      R"("],"component":{"exports":["wasi:http/incoming-handler@0.2.0"],"imports":[],"target":null}})");
  CHECK(c.author == "me");
  CHECK(c.component);
  CHECK(c.os == "wasip2");
}

TEST_CASE("parse refuses what oci-wasm's reader refuses, naming the field") {
  const std::string digests = R"("layerDigests":[")" + module_digest.str() + R"("])";
  CHECK(parse_error(R"({"architecture":"wasm","os":"wasip1",)" + digests + "}").find("created") != std::string::npos);
  CHECK(parse_error(R"({"created":"x","os":"wasip1",)" + digests + "}").find("architecture") != std::string::npos);
  CHECK(parse_error(R"({"created":"x","architecture":"amd64","os":"wasip1",)" + digests + "}").find("not \"wasm\"") !=
        std::string::npos);
  CHECK(
      parse_error(R"({"created":"x","architecture":"wasm","os":"linux",)" + digests + "}").find("wasip1 and wasip2") !=
      std::string::npos);
  CHECK(parse_error(R"({"created":"x","architecture":"wasm","os":"wasip1"})").find("layerDigests") !=
        std::string::npos);
  CHECK(parse_error(R"({"created":"x","architecture":"wasm","os":"wasip1","layerDigests":["md5:abc"]})")
            .find("layerDigests[0]") != std::string::npos);
  CHECK(parse_error(R"({"created":"x","architecture":"wasm","os":"wasip1","component":[],)" + digests + "}")
            .find("component") != std::string::npos);
  CHECK(parse_error("[1]").find("config") != std::string::npos);
}

TEST_CASE("make_cncf_manifest writes exactly the CNCF layout") {
  oci::CncfConfig config = oci::CncfConfig::for_module(module_digest);
  oci::RuntimeConfig runtime;
  runtime.abi_versions = {"v0.2.1"};
  oci::Manifest m = oci::make_cncf_manifest(config, runtime, module_digest, 6);
  CHECK(m.media_type == oci::media_type::oci_manifest);
  CHECK(m.config.media_type == "application/vnd.wasm.config.v0+json");
  CHECK(m.config.digest == oci::sha256_of(config.serialize()));
  REQUIRE(m.layers.size() == 1);
  CHECK(m.layers[0].media_type == "application/wasm");
  CHECK(m.layers[0].digest == module_digest);
  CHECK(m.layers[0].annotations.at("org.opencontainers.image.title") == "plugin.wasm");
  CHECK(m.annotations.at("module.wasm.runtime/abi_version") == "v0.2.1");
  auto layout = oci::classify(m);
  CHECK(layout.format == oci::ArtifactFormat::cncf);
  CHECK(layout.has_config);
}
