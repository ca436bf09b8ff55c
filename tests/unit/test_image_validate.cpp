// Issue 14 item 10: one validation (image::validate_artifact) for build, pull and the cache's
// fetch. Each hostile artifact kind is refused here, and package_module refuses the same.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/package.hpp"
#include "wasme/image/validate.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/oci/media_types.hpp"

namespace fs = std::filesystem;
using namespace wasme;
using test_support::contains;

namespace {

const fs::path fixture = fs::path(WASME_FIXTURES) / "abi_0_2_1.wasm";
const std::string good_config = R"({"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["r"]}})";

oci::Descriptor config_descriptor(const std::string& bytes,
                                  std::string_view media_type = oci::media_type::wasm_config) {
  return {std::string(media_type), oci::sha256_of(bytes), bytes.size(), {}};
}

oci::ArtifactLayout wasme_layout(const oci::Descriptor& config) {
  oci::ArtifactLayout layout;
  layout.format = oci::ArtifactFormat::wasme;
  layout.has_config = true;
  layout.config_layer = config;
  return layout;
}

oci::ArtifactLayout compat_layout() {
  oci::ArtifactLayout layout;
  layout.format = oci::ArtifactFormat::compat;
  return layout;
}

oci::ArtifactLayout solo_layout(const oci::Descriptor& config) {
  oci::ArtifactLayout layout;
  layout.format = oci::ArtifactFormat::solo_2019;
  layout.has_config = true;
  layout.config_layer = config;
  return layout;
}

// Runs f, which must throw Error(invalid_input); returns its message.
std::string refusal(const std::function<void()>& f) {
  const Error e = test_support::expect_error(f);
  CHECK(e.kind() == ErrorKind::invalid_input);
  return e.what();
}

std::string write(const std::string& name, const std::string& bytes) {
  std::ofstream(name, std::ios::binary) << bytes;
  return name;
}

}  // namespace

TEST_CASE("validate_artifact accepts what build precompiled packages") {
  auto config = config_descriptor(good_config);
  image::ValidArtifact valid = image::validate_artifact({wasme_layout(config), config, good_config, fixture, ""});
  CHECK(valid.module.abi == wasm::ProxyAbi::v0_2_1);
  CHECK(valid.config.root_ids == std::vector<std::string>{"r"});
  // The 2019 format's config, and a compat image's plain OCI config.
  std::string roots = R"({"roots":[{"id":"old"}]})";
  auto solo = config_descriptor(roots, oci::media_type::solo_config);
  CHECK(image::validate_artifact({solo_layout(solo), solo, roots, fixture, ""}).config.root_ids ==
        std::vector<std::string>{"old"});
  std::string oci_config = R"({"architecture":"wasm","os":"wasip1"})";
  auto plain = config_descriptor(oci_config, oci::media_type::oci_image_config);
  CHECK(image::validate_artifact({compat_layout(), plain, oci_config, fixture, ""}).config == oci::RuntimeConfig{});
}

TEST_CASE("modules that are not wasm are refused, named by their label") {
  auto config = config_descriptor(good_config);
  auto layout = wasme_layout(config);
  std::string module_bytes = read_file(fixture);
  struct Case {
    std::string what, bytes, fragment;
  };
  std::vector<Case> cases = {
      {"empty", "", "not a wasm module: the input is empty"},
      {"text", "{\"not\": \"wasm\"}\n", "bad magic"},
      {"zeros", std::string(1u << 20, '\0'), "bad magic"},
      {"gzip", std::string("\x1f\x8b\x08\0\0\0\0\0", 8) + std::string(100, 'x'), "looks like gzip"},
      {"truncated", module_bytes.substr(0, module_bytes.size() - 1), ""},  // its last section cut short
      {"version 2", std::string("\0asm\2\0\0\0", 8), "unsupported wasm version 2"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    std::string file = write("module-" + std::to_string(&c - cases.data()), c.bytes);
    std::string message = refusal([&] {
      image::validate_artifact({layout, config, good_config, file, "the module layer sha256:abc"});
    });
    if (c.what != "truncated") CHECK(contains(message, c.fragment));
    CHECK(message.rfind("the module layer sha256:abc: ", 0) == 0);
    CHECK_FALSE(contains(message, file));  // the (temp) path is replaced by the label
  }
}

TEST_CASE("configs that readers refuse are refused: not JSON, not UTF-8, over 1 MiB, unknown fields") {
  struct Case {
    std::string what, bytes, fragment;
  };
  std::string big = R"({"type":"envoy_proxy","config":{"rootIds":[")" + std::string(2u << 20, 'r') + "\"]}}";
  std::vector<Case> cases = {
      {"not json", "this is not json", "not valid JSON"},
      {"empty", "", "not valid JSON"},
      {"not utf-8", "{\"type\":\"envoy_proxy\",\"config\":{\"rootIds\":[\"\xff\xfe\"]}}", "not valid JSON"},
      {"not utf-8 outside strings", "{\"type\":\"envoy_proxy\"}\xc3", "not valid JSON"},
      {"2 MiB", big, "over the 1 MiB limit"},
      {"unknown field", R"({"type":"envoy_proxy","extra":1})", "unknown field \"extra\""},
      {"an array", "[]", "expected a JSON object"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto config = config_descriptor(c.bytes);
    std::string message = refusal([&] {
      image::validate_artifact({wasme_layout(config), config, c.bytes, fixture, ""});
    });
    CHECK(contains(message, c.fragment));
    CHECK(contains(message, "the config blob " + config.digest.str()));
  }
}

TEST_CASE("a config declared over 1 MiB is refused from its descriptor alone") {
  oci::Descriptor config{std::string(oci::media_type::wasm_config), oci::sha256_of("x"), (2u << 20), {}};
  std::string message = refusal([&] { image::check_config_size(config); });
  CHECK(contains(message, "over the 1 MiB limit"));
  config.size = image::max_config_size;
  image::check_config_size(config);
}

TEST_CASE("a compat image's config must still be a JSON object; a 2019 config must parse") {
  std::string junk = "\x89PNG not a config";
  auto plain = config_descriptor(junk, oci::media_type::oci_image_config);
  CHECK(contains(refusal([&] {
                   image::validate_artifact({compat_layout(), plain, junk, fixture, ""});
                 }),
                 "not valid JSON"));
  std::string bad_roots = R"({"roots":"not a list"})";
  auto solo = config_descriptor(bad_roots, oci::media_type::solo_config);
  CHECK(contains(refusal([&] {
                   image::validate_artifact({solo_layout(solo), solo, bad_roots, fixture, ""});
                 }),
                 "roots"));
}

TEST_CASE("package_module refuses the same inputs, before touching the store") {
  store::Store store("store");
  auto request = [](const fs::path& file) {
    image::PackageRequest r;
    r.wasm_file = file;
    r.reference = oci::Reference::parse("localhost:5000/x:v1");
    return r;
  };
  for (const std::string& bytes : {std::string(), std::string(4096, '\0'), std::string("text")}) {
    std::string file = write("bad.wasm", bytes);
    CHECK(contains(refusal([&] { image::package_module(store, request(file)); }), "not a wasm module"));
  }
  auto with_big_config = request(fixture);
  with_big_config.config_file =
      write("big.json", R"({"type":"envoy_proxy","config":{"rootIds":[")" + std::string(2u << 20, 'r') + "\"]}}");
  CHECK(contains(refusal([&] { image::package_module(store, with_big_config); }), "larger than the limit"));
  auto with_bad_utf8 = request(fixture);
  with_bad_utf8.config_file = write("utf8.json", "{\"config\":{\"rootIds\":[\"\xff\"]}}");
  CHECK(contains(refusal([&] { image::package_module(store, with_bad_utf8); }), "not valid JSON"));
  CHECK_FALSE(fs::exists("store"));
}
