#include <doctest/doctest.h>

#include <string>

#include "wasme/core/error.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/oci/media_types.hpp"

using wasme::Error;
using wasme::oci::ArtifactFormat;
using wasme::oci::Descriptor;
using wasme::oci::Digest;
using wasme::oci::Manifest;
using wasme::oci::RuntimeConfig;
namespace media_type = wasme::oci::media_type;

namespace {

const Digest wasm_digest = wasme::oci::sha256_of(std::string_view("\0asm\1\0\0\0", 8));

RuntimeConfig sample_config() {
  RuntimeConfig config;
  config.abi_versions = {"v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f", "v0.2.1"};
  config.root_ids = {"add_header_root_id"};
  return config;
}

Descriptor layer(std::string_view type, char fill = 'c') {
  return {std::string(type), Digest::from_hex(std::string(64, fill)), 10, {}};
}

Manifest manifest_of(std::string_view type, std::vector<Descriptor> layers) {
  Manifest m;
  m.media_type = std::string(type);
  m.config = layer(media_type::oci_image_config, 'f');
  m.layers = std::move(layers);
  return m;
}

}  // namespace

TEST_CASE("make_wasm_manifest is exactly the wasme artifact") {
  RuntimeConfig config = sample_config();
  std::string config_bytes = config.serialize();
  Digest config_digest = wasme::oci::sha256_of(config_bytes);
  Manifest m = wasme::oci::make_wasm_manifest(config, wasm_digest, 1043056);

  const std::string config_desc =
      R"({"annotations":{"org.opencontainers.image.title":"runtime-config.json"},"digest":")" + config_digest.str() +
      R"(","mediaType":"application/vnd.module.wasm.config.v1+json","size":)" + std::to_string(config_bytes.size()) +
      "}";
  const std::string expected =
      R"({"annotations":{"module.wasm.runtime/abi_version":"v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f,v0.2.1","module.wasm.runtime/type":"envoy_proxy"},"config":)" +
      config_desc + R"(,"layers":[)" + config_desc +
      R"(,{"annotations":{"org.opencontainers.image.title":"filter.wasm"},"digest":")" + wasm_digest.str() +
      R"(","mediaType":"application/vnd.module.wasm.content.layer.v1+wasm","size":1043056}],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})";
  CHECK(m.serialize() == expected);
  CHECK(m.layers.at(0) == m.config);
  CHECK(Manifest::parse(m.serialize()).serialize() == expected);
  CHECK(wasme::oci::istio_rejection_reason(m).empty());
}

TEST_CASE("make_wasm_manifest is reproducible and sensitive to its inputs") {
  auto digest_of = [](const Manifest& m) { return wasme::oci::sha256_of(m.serialize()); };
  Manifest first = wasme::oci::make_wasm_manifest(sample_config(), wasm_digest, 8);
  Manifest second = wasme::oci::make_wasm_manifest(sample_config(), wasm_digest, 8);
  CHECK(first.serialize() == second.serialize());
  CHECK(digest_of(first) == digest_of(second));

  RuntimeConfig other_root = sample_config();
  other_root.root_ids = {"other"};
  CHECK(digest_of(wasme::oci::make_wasm_manifest(other_root, wasm_digest, 8)) != digest_of(first));
  CHECK(digest_of(wasme::oci::make_wasm_manifest(sample_config(), wasm_digest, 9)) != digest_of(first));
  Manifest titled = wasme::oci::make_wasm_manifest(sample_config(), wasm_digest, 8, "module.wasm");
  CHECK(titled.layers.at(1).annotations.at("org.opencontainers.image.title") == "module.wasm");
}

TEST_CASE("an empty ABI list keeps the annotation key with an empty value") {
  RuntimeConfig config;
  config.type = "custom";
  Manifest m = wasme::oci::make_wasm_manifest(config, wasm_digest, 8);
  CHECK(m.annotations.at("module.wasm.runtime/abi_version").empty());
  CHECK(m.annotations.at("module.wasm.runtime/type") == "custom");
  CHECK(m.serialize().find(R"("module.wasm.runtime/abi_version":"")") != std::string::npos);
}

TEST_CASE("classify finds the module layer") {
  Manifest wasme_image = wasme::oci::make_wasm_manifest(sample_config(), wasm_digest, 8);
  auto layout = wasme::oci::classify(wasme_image);
  CHECK(layout.format == ArtifactFormat::wasme);
  CHECK(layout.module_layer.digest == wasm_digest);
  CHECK(layout.has_config);
  CHECK(layout.config_layer == wasme_image.config);

  Manifest solo =
      manifest_of(media_type::oci_manifest, {layer(media_type::solo_code, 'a'), layer(media_type::solo_proto, 'b')});
  solo.config = layer(media_type::solo_config, 'e');
  layout = wasme::oci::classify(solo);
  CHECK(layout.format == ArtifactFormat::solo_2019);
  CHECK(layout.module_layer.digest == Digest::from_hex(std::string(64, 'a')));
  CHECK(layout.has_config);
  CHECK(layout.config_layer.media_type == media_type::solo_config);

  for (auto tar : {media_type::oci_layer_tar_gzip, media_type::docker_layer_tar_gzip}) {
    CAPTURE(tar);
    Manifest compat = manifest_of(media_type::oci_manifest, {layer(tar, 'a'), layer(tar, 'b')});
    layout = wasme::oci::classify(compat);
    CHECK(layout.format == ArtifactFormat::compat);
    CHECK(layout.module_layer.digest == Digest::from_hex(std::string(64, 'b')));
    CHECK_FALSE(layout.has_config);
  }

  // A wasm layer wins over a trailing tar layer; a wasm layer without wasm config has no config.
  Manifest mixed = manifest_of(media_type::oci_manifest,
                               {layer(media_type::wasm_layer, 'a'), layer(media_type::oci_layer_tar_gzip)});
  layout = wasme::oci::classify(mixed);
  CHECK(layout.format == ArtifactFormat::wasme);
  CHECK_FALSE(layout.has_config);

  CHECK(std::string(wasme::oci::to_string(ArtifactFormat::solo_2019)) == "solo_2019");
  CHECK(std::string(wasme::oci::to_string(ArtifactFormat::compat)) == "compat");
}

TEST_CASE("classify explains what it expected") {
  Manifest plain = manifest_of(media_type::oci_manifest, {layer("application/vnd.oci.image.layer.v1.tar")});
  try {
    wasme::oci::classify(plain);
    FAIL("classified an image without a module");
  } catch (const Error& e) {
    CHECK(e.kind() == wasme::ErrorKind::invalid_input);
    std::string message = e.what();
    CHECK(message.find("layers [application/vnd.oci.image.layer.v1.tar]") != std::string::npos);
    CHECK(message.find(std::string(media_type::wasm_layer)) != std::string::npos);
    CHECK(message.find("plugin.wasm") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(wasme::oci::classify(manifest_of(media_type::oci_manifest, {})),
                       doctest::Contains("it has no layers"), Error);
}

TEST_CASE("istio_rejection_reason follows Istio's fetcher") {
  struct Case {
    const char* name;
    Manifest manifest;
    std::string reason;  // "" = accepted, else a fragment of the reason
  };
  const Case cases[] = {
      {"docker, tar last",
       manifest_of(media_type::docker_manifest,
                   {layer(media_type::wasm_layer), layer(media_type::docker_layer_tar_gzip)}),
       ""},
      {"docker, oci tar last", manifest_of(media_type::docker_manifest, {layer(media_type::oci_layer_tar_gzip)}),
       "invalid media type application/vnd.oci.image.layer.v1.tar+gzip (expect "
       "application/vnd.docker.image.rootfs.diff.tar.gzip)"},
      {"docker, wasm", manifest_of(media_type::docker_manifest, {layer(media_type::wasm_layer), layer("x")}),
       "invalid media type x"},
      {"docker, no layers", manifest_of(media_type::docker_manifest, {}), "number of layers must be greater than zero"},
      {"oci compat", manifest_of(media_type::oci_manifest, {layer(media_type::oci_layer_tar_gzip)}), ""},
      {"oci compat, 3 layers",
       manifest_of(media_type::oci_manifest, {layer("a"), layer("b"), layer(media_type::oci_layer_tar_gzip)}), ""},
      {"oci, docker tar last", manifest_of(media_type::oci_manifest, {layer(media_type::docker_layer_tar_gzip)}),
       "number of layers must be 2 but got 1"},
      {"oci wasm, 2 layers", manifest_of(media_type::oci_manifest, {layer("c"), layer(media_type::wasm_layer)}), ""},
      {"oci wasm first", manifest_of(media_type::oci_manifest, {layer(media_type::wasm_layer), layer("c")}), ""},
      {"oci wasm, 1 layer", manifest_of(media_type::oci_manifest, {layer(media_type::wasm_layer)}),
       "number of layers must be 2 but got 1"},
      {"oci wasm, 3 layers",
       manifest_of(media_type::oci_manifest, {layer("a"), layer("b"), layer(media_type::wasm_layer)}),
       "number of layers must be 2 but got 3"},
      {"oci, 2 layers no wasm", manifest_of(media_type::oci_manifest, {layer("a"), layer("b")}),
       "could not find the layer of type application/vnd.module.wasm.content.layer.v1+wasm"},
      {"solo 2019", manifest_of(media_type::oci_manifest, {layer(media_type::solo_code)}),
       "not the compat variant (invalid media type application/vnd.io.solo.wasm.code.v1+wasm"},
      {"no media type", manifest_of("", {layer("c"), layer(media_type::wasm_layer)}), ""},
      {"index", manifest_of(media_type::oci_index, {}), "unsupported manifest media type"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    std::string reason = wasme::oci::istio_rejection_reason(c.manifest);
    if (c.reason.empty()) {
      CHECK(reason == "");
    } else {
      CHECK(reason.find(c.reason) != std::string::npos);
    }
  }
}
