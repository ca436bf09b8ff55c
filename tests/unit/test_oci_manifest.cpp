#include <doctest/doctest.h>

#include <string>

#include "wasme/core/error.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/oci/media_types.hpp"

using wasme::Error;
using wasme::oci::Descriptor;
using wasme::oci::Digest;
using wasme::oci::Index;
using wasme::oci::Manifest;
namespace media_type = wasme::oci::media_type;

namespace {

const std::string a = "sha256:" + std::string(64, 'a');
const std::string b = "sha256:" + std::string(64, 'b');

std::string descriptor(const std::string& media, const std::string& digest, const std::string& size) {
  return R"({"mediaType":")" + media + R"(","digest":")" + digest + R"(","size":)" + size + "}";
}

const std::string good_layers = "[" + descriptor("x/wasm", b, "10") + "]";

std::string manifest_with(const std::string& fields) { return R"({"schemaVersion":2,)" + fields + "}"; }

struct Bad {
  std::string input;
  std::string message;
};

void check_rejects(const Bad& c, bool index) {
  CAPTURE(c.input);
  try {
    if (index) {
      Index::parse(c.input);
    } else {
      Manifest::parse(c.input);
    }
    FAIL("accepted a bad document");
  } catch (const Error& e) {
    CHECK(e.kind() == wasme::ErrorKind::invalid_input);
    CHECK(std::string(e.what()).find(c.message) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("parse an OCI manifest") {
  std::string text = R"({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.module.wasm.config.v1+json", "digest": ")" +
                     a +
                     R"(", "size": 125,
               "annotations": {"org.opencontainers.image.title": "runtime-config.json"}},
    "layers": [
      {"mediaType": "application/vnd.module.wasm.config.v1+json", "digest": ")" +
                     a + R"(", "size": 125},
      {"mediaType": "application/vnd.module.wasm.content.layer.v1+wasm", "digest": ")" +
                     b +
                     R"(", "size": 1043056, "urls": ["ignored"]}
    ],
    "annotations": {"module.wasm.runtime/type": "envoy_proxy"}
  })";
  Manifest m = Manifest::parse(text);
  CHECK(m.schema_version == 2);
  CHECK(m.media_type == media_type::oci_manifest);
  CHECK(m.config.media_type == media_type::wasm_config);
  CHECK(m.config.digest == Digest::parse(a));
  CHECK(m.config.size == 125);
  CHECK(m.config.annotations.at("org.opencontainers.image.title") == "runtime-config.json");
  REQUIRE(m.layers.size() == 2);
  CHECK(m.layers[1].media_type == media_type::wasm_layer);
  CHECK(m.layers[1].size == 1043056);
  CHECK(m.layers[1].annotations.empty());
  CHECK(m.annotations.at("module.wasm.runtime/type") == "envoy_proxy");
}

TEST_CASE("parse a Docker schema 2 manifest and one without mediaType") {
  Manifest docker = Manifest::parse(
      manifest_with(R"("mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":)" +
                    descriptor("application/vnd.docker.container.image.v1+json", a, "7") + R"(,"layers":[)" +
                    descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", b, "0") + "]"));
  CHECK(docker.media_type == media_type::docker_manifest);
  CHECK(docker.layers.at(0).size == 0);

  Manifest bare =
      Manifest::parse(manifest_with(R"("config":)" + descriptor("c", a, "1") + R"(,"layers":[],"annotations":null)"));
  CHECK(bare.media_type.empty());
  CHECK(bare.layers.empty());
  CHECK(bare.annotations.empty());
}

TEST_CASE("serialize is deterministic, compact and sorted") {
  Manifest m;
  m.media_type = media_type::oci_manifest;
  m.config = {"c/t", Digest::parse(a), 3, {}};
  m.layers = {{"l/t", Digest::parse(b), 4, {{"z", "1"}, {"a", "2"}}}};
  m.annotations = {{"k", "v"}};
  const std::string expected =
      R"({"annotations":{"k":"v"},"config":{"digest":")" + a +
      R"(","mediaType":"c/t","size":3},"layers":[{"annotations":{"a":"2","z":"1"},"digest":")" + b +
      R"(","mediaType":"l/t","size":4}],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})";
  CHECK(m.serialize() == expected);
  CHECK(m.serialize() == m.serialize());
  Manifest again = Manifest::parse(m.serialize());
  CHECK(again.serialize() == expected);
  CHECK(again.layers == m.layers);

  m.annotations.clear();
  m.media_type.clear();
  CHECK(m.serialize().find("annotations\":{\"k\"") == std::string::npos);
  CHECK(m.serialize().find("\"mediaType\":\"application") == std::string::npos);
}

TEST_CASE("serialize refuses invalid UTF-8 with an error, not a crash") {
  Manifest m;
  m.config = {"c/t", Digest::parse(a), 3, {}};
  m.annotations = {{"k", "\xff"}};
  CHECK_THROWS_WITH_AS(m.serialize(), doctest::Contains("manifest: cannot serialize"), Error);
}

TEST_CASE("malformed manifests name the field") {
  const std::string config = R"("config":)" + descriptor("c", a, "1");
  const Bad cases[] = {
      {"", "manifest: not valid JSON"},
      {"{", "manifest: not valid JSON"},
      {"[]", "manifest: expected a JSON object, got an array"},
      {"\"x\"", "manifest: expected a JSON object, got a string"},
      {"{}", "manifest: schemaVersion: missing"},
      {R"({"schemaVersion":"2"})", "manifest: schemaVersion: expected an integer, got a string"},
      {R"({"schemaVersion":1})", "manifest: schemaVersion: expected 2, got 1"},
      {R"({"schemaVersion":2.5})", "schemaVersion: expected an integer, got a fractional number"},
      {manifest_with(R"("layers":[])"), "manifest: config: missing"},
      {manifest_with(config), "manifest: layers: missing"},
      {manifest_with(config + R"(,"layers":{})"), "manifest: layers: expected a list of descriptors"},
      {manifest_with(R"("config":[],"layers":[])"), "manifest: config: expected a descriptor object"},
      {manifest_with(config + R"(,"layers":[1])"), "manifest: layers[0]: expected a descriptor object"},
      {manifest_with(config + R"(,"layers":[)" + descriptor("l", a, "1") + R"(,{"digest":")" + a + R"(","size":1}])"),
       "manifest: layers[1].mediaType: missing"},
      {manifest_with(config + R"(,"layers":[{"mediaType":"","digest":")" + a + R"(","size":1}])"),
       "manifest: layers[0].mediaType: must not be empty"},
      {manifest_with(config + R"(,"layers":[{"mediaType":7,"digest":")" + a + R"(","size":1}])"),
       "manifest: layers[0].mediaType: expected a string, got an integer"},
      {manifest_with(config + R"(,"layers":[)" + descriptor("l", a, "1") + "," + descriptor("l", "sha256:abc", "1") +
                     "]"),
       "manifest: layers[1].digest: invalid digest \"sha256:abc\""},
      {manifest_with(config + R"(,"layers":[{"mediaType":"l","size":1}])"), "manifest: layers[0].digest: missing"},
      {manifest_with(config + R"(,"layers":[)" + descriptor("l", a, "-1") + "]"),
       "manifest: layers[0].size: must not be negative, got -1"},
      {manifest_with(config + R"(,"layers":[)" + descriptor("l", a, "1.5") + "]"),
       "manifest: layers[0].size: expected a non-negative integer, got a fractional number"},
      {manifest_with(config + R"(,"layers":[)" + descriptor("l", a, "\"1\"") + "]"),
       "manifest: layers[0].size: expected a non-negative integer, got a string"},
      {manifest_with(R"("config":{"mediaType":"c","digest":")" + a + R"("},"layers":[])"),
       "manifest: config.size: missing"},
      {manifest_with(config + R"(,"layers":[],"annotations":[])"),
       "manifest: annotations: expected an object of strings"},
      {manifest_with(config + R"(,"layers":[],"annotations":{"k":1})"),
       "manifest: annotations.k: expected a string, got an integer"},
      {manifest_with(R"("config":{"mediaType":"c","digest":")" + a +
                     R"(","size":1,"annotations":{"t":null}},"layers":[])"),
       "manifest: config.annotations.t: expected a string, got a null"},
      {manifest_with(R"("mediaType":"application/vnd.oci.image.index.v1+json",)" + config + R"(,"layers":[])"),
       "manifest: mediaType: \"application/vnd.oci.image.index.v1+json\" is an index"},
      {manifest_with(R"("mediaType":"application/vnd.oci.artifact.manifest.v1+json",)" + config + R"(,"layers":[])"),
       "manifest: mediaType: unsupported \"application/vnd.oci.artifact.manifest.v1+json\""},
      {manifest_with(R"("mediaType":5,)" + config + R"(,"layers":[])"), "manifest: mediaType: expected a string"},
      {std::string(wasme::oci::max_manifest_size + 1, ' '), "over the 4 MiB limit"},
  };
  for (const auto& c : cases) check_rejects(c, false);
}

TEST_CASE("indexes parse, serialize and reject bad input") {
  const std::string text =
      std::string(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)") +
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + a +
      R"(","size":500,"annotations":{"org.opencontainers.image.ref.name":"localhost:5000/x:v1"},)" +
      R"("platform":{"os":"linux"}}]})";
  Index index = Index::parse(text);
  REQUIRE(index.manifests.size() == 1);
  CHECK(index.manifests[0].size == 500);
  CHECK(index.manifests[0].annotations.at("org.opencontainers.image.ref.name") == "localhost:5000/x:v1");
  CHECK(
      index.serialize() ==
      R"({"manifests":[{"annotations":{"org.opencontainers.image.ref.name":"localhost:5000/x:v1"},"digest":")" + a +
          R"(","mediaType":"application/vnd.oci.image.manifest.v1+json","size":500}],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
  Index empty;
  CHECK(empty.serialize() == R"({"manifests":[],"schemaVersion":2})");
  CHECK(Index::parse(empty.serialize()).manifests.empty());
  CHECK(
      Index::parse(
          R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]})")
          .media_type == media_type::docker_manifest_list);

  const Bad cases[] = {
      {"null", "index: expected a JSON object, got a null"},
      {R"({"schemaVersion":2})", "index: manifests: missing"},
      {R"({"schemaVersion":2,"manifests":[{"mediaType":"m","digest":"sha256:xyz","size":1}]})",
       "index: manifests[0].digest: invalid digest"},
      {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]})",
       "index: mediaType: \"application/vnd.oci.image.manifest.v1+json\" is not an image index"},
      {R"({"schemaVersion":3,"manifests":[]})", "index: schemaVersion: expected 2, got 3"},
  };
  for (const auto& c : cases) check_rejects(c, true);
}

TEST_CASE("sniff_media_type") {
  struct Case {
    std::string input;
    std::string expected;
  };
  const Case cases[] = {
      {R"({"mediaType":"application/vnd.docker.distribution.manifest.v2+json"})",
       std::string(media_type::docker_manifest)},
      {R"({"schemaVersion":2,"config":{},"layers":[]})", std::string(media_type::oci_manifest)},
      {R"({"schemaVersion":2,"manifests":[]})", std::string(media_type::oci_index)},
      {R"({"schemaVersion":1,"fsLayers":[]})", ""},
      {R"({"mediaType":5,"schemaVersion":2,"manifests":[]})", ""},
      {R"({"schemaVersion":2})", ""},
      {"[1,2]", ""},
      {"not json", ""},
      {"", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    CHECK(wasme::oci::sniff_media_type(c.input) == c.expected);
  }
}
