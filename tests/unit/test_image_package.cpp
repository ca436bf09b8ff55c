#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "test_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/package.hpp"
#include "wasme/image/summary.hpp"

namespace fs = std::filesystem;
using namespace wasme;
using test_support::snapshot;

namespace {

const fs::path fixture = fs::path(WASME_FIXTURES) / "abi_0_2_1.wasm";

image::PackageRequest request_for(const fs::path& file, const std::string& ref) {
  image::PackageRequest r;
  r.wasm_file = file;
  r.reference = oci::Reference::parse(ref);
  r.root_ids = {"add_header_root_id"};
  return r;
}

}  // namespace

TEST_CASE("package_module is deterministic across stores") {
  store::Store a("store-a"), b("store-b");
  auto ra = image::package_module(a, request_for(fixture, "localhost:5000/x:v1"));
  auto rb = image::package_module(b, request_for(fixture, "localhost:5000/x:v1"));
  CHECK(ra.image.manifest_digest == rb.image.manifest_digest);
  CHECK(ra.image.wasm_digest == oci::sha256_of_file(fixture).digest);
  CHECK(ra.image.config.abi_versions == std::vector<std::string>{"v0.2.1"});
  CHECK(ra.warnings.empty());

  image::ImageSummary s = image::summarize(a, oci::Reference::parse("localhost:5000/x:v1"));
  CHECK(s.manifest_digest == ra.image.manifest_digest);
  CHECK(s.wasm_digest == ra.image.wasm_digest);
  CHECK(s.config == ra.image.config);
  CHECK(s.module_abi == wasm::ProxyAbi::v0_2_1);
  CHECK(s.format == oci::ArtifactFormat::wasme);
  CHECK(oci::istio_rejection_reason(s.manifest).empty());
}

TEST_CASE("package_module refuses bad input before touching the store") {
  store::Store store("store");
  image::package_module(store, request_for(fixture, "localhost:5000/ok:v1"));
  auto before = snapshot("store");

  std::ofstream("text.wasm") << "{\"not\": \"wasm\"}\n";
  std::ofstream("config.json") << "{\"type\":\"envoy_proxy\",\"extra\":1}";
  struct Case {
    image::PackageRequest request;
    ErrorKind kind;
    std::string fragment;
  };
  auto with_config = request_for(fixture, "localhost:5000/c:v1");
  with_config.config_file = "config.json";
  std::vector<Case> cases = {
      {request_for("text.wasm", "localhost:5000/t:v1"), ErrorKind::invalid_input, "text.wasm"},
      {request_for("missing.wasm", "localhost:5000/m:v1"), ErrorKind::not_found, "does not exist"},
      {request_for(".", "localhost:5000/d:v1"), ErrorKind::invalid_input, "is a directory"},
      {with_config, ErrorKind::invalid_input, "extra"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.fragment);
    try {
      image::package_module(store, c.request);
      FAIL("accepted bad input");
    } catch (const Error& e) {
      CHECK(e.kind() == c.kind);
      CHECK(std::string(e.what()).find(c.fragment) != std::string::npos);
      CHECK(std::string(e.what()).find("packaging ") == 0);
    }
    CHECK(snapshot("store") == before);
  }
}

TEST_CASE("a non-proxy-wasm module is stored with a warning") {
  store::Store store("store");
  auto r = image::package_module(store, request_for(fs::path(WASME_FIXTURES) / "plain.wasm", "localhost:5000/p:v1"));
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("exports no proxy-wasm callbacks") != std::string::npos);
  CHECK(r.image.config.abi_versions.empty());
}
