// Every layout against every consumer. Each row rests on the consumer's own source, cited at
// the rule in lib/wasme/oci/consumers.cpp and in docs/LAYOUTS.md:
//   Istio pkg/wasm/imagefetcher.go (1.12.0–1.15.x: exactly one tar layer; 1.16.0+ (#40647):
//     the last; the wasm variant: two layers, one application/vnd.module.wasm.content.layer.v1+wasm);
//   Envoy Gateway internal/wasm/imagefetcher.go v1.1.0–main (Istio's 1.16 rules);
//   bytecodealliance/rust-oci-wasm v0.4.0 src/client.rs + rust-oci-client validate_layers (wkg,
//     Spin's registry source); Spin v3.6.0 crates/oci/src/loader.rs (`spin up -f`);
//   containerd v2.1 internal/cri/server/container_image_mount.go, client/image.go getLayers
//     (image volumes unpack tar layers only, one rootfs.diff_id each).
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "wasme/oci/artifact.hpp"
#include "wasme/oci/consumers.hpp"
#include "wasme/oci/media_types.hpp"

using namespace wasme;
namespace mt = oci::media_type;

namespace {

oci::Descriptor blob(std::string_view media_type, char fill, const std::string& title = "") {
  oci::Descriptor d{std::string(media_type), oci::sha256_of(std::string(8, fill)), 8, {}};
  if (!title.empty()) d.annotations[std::string(oci::annotation::title)] = title;
  return d;
}

oci::Manifest manifest(std::string_view media_type, oci::Descriptor config, std::vector<oci::Descriptor> layers) {
  oci::Manifest m;
  m.media_type = std::string(media_type);
  m.config = std::move(config);
  m.layers = std::move(layers);
  return m;
}

struct Row {
  const char* layout;
  oci::Manifest manifest;
  oci::LayoutFacts facts;
  // istio-1.12-1.15, istio-1.16+, envoy-gateway, spin/wkg, image-volume
  std::vector<bool> accepts;
  std::vector<const char*> reason_has;  // a piece of each consumer's reason
};

}  // namespace

TEST_CASE("every layout against every consumer") {
  oci::Descriptor wasme_config = blob(mt::wasm_config, 'c', "runtime-config.json");
  oci::LayoutFacts tar_with_plugin{true, 1};
  const std::vector<Row> rows = {
      {"wasme",
       manifest(mt::oci_manifest, wasme_config, {wasme_config, blob(mt::wasm_layer, 'w', "filter.wasm")}),
       {},
       {true, true, true, false, false},
       {"of the two", "of the two", "of the two",
        "Incompatible layer media type: "
        "application/vnd.module.wasm.config.v1+json",
        "not a tar layer: containerd mounts nothing from it (CRI-O 1.33+ mounts it as the file runtime-config.json)"}},
      {"wasme 2019",
       manifest(mt::oci_manifest, blob(mt::solo_config, 'c'), {blob(mt::solo_code, 'w')}),
       {},
       {false, false, false, false, false},
       {"invalid media type application/vnd.io.solo.wasm.code.v1+wasm",
        "invalid media type application/vnd.io.solo.wasm.code.v1+wasm", "number of layers must be 2 but got 1",
        "Incompatible layer media type", "not a tar layer"}},
      {"compat, one layer",
       manifest(mt::oci_manifest, blob(mt::oci_image_config, 'c'), {blob(mt::oci_layer_tar_gzip, 'l')}),
       tar_with_plugin,
       {true, true, true, false, true},
       {"only layer", "last layer", "last layer",
        "Incompatible layer media type: application/vnd.oci.image.layer.v1.tar+gzip", "plugin.wasm in the volume"}},
      {"compat, two layers",
       manifest(mt::oci_manifest, blob(mt::oci_image_config, 'c'),
                {blob(mt::oci_layer_tar_gzip, 'a'), blob(mt::oci_layer_tar_gzip, 'l')}),
       {true, 2},
       {false, true, true, false, true},
       {"number of layers must be 1 but got 2", "last layer", "last layer", "Incompatible layer media type",
        "plugin.wasm in the volume"}},
      {"compat without plugin.wasm",
       manifest(mt::oci_manifest, blob(mt::oci_image_config, 'c'), {blob(mt::oci_layer_tar_gzip, 'l')}),
       {false, 1},
       {false, false, false, false, false},
       {"plugin.wasm not found", "plugin.wasm not found", "plugin.wasm not found", "Incompatible", "no plugin.wasm"}},
      {"docker schema 2 compat",
       manifest(mt::docker_manifest, blob(mt::docker_image_config, 'c'), {blob(mt::docker_layer_tar_gzip, 'l')}),
       tar_with_plugin,
       {true, true, true, false, true},
       {"only layer", "last layer", "last layer", "Incompatible layer media type", "plugin.wasm in the volume"}},
      {"docker manifest with an OCI layer",
       manifest(mt::docker_manifest, blob(mt::docker_image_config, 'c'), {blob(mt::oci_layer_tar_gzip, 'l')}),
       tar_with_plugin,
       {false, false, false, false, true},
       {"expect application/vnd.docker.image.rootfs.diff.tar.gzip", "expect application/vnd.docker",
        "expect application/vnd.docker", "Incompatible", "plugin.wasm in the volume"}},
      {"CNCF",
       manifest(mt::oci_manifest, blob(mt::cncf_wasm_config, 'c'), {blob(mt::cncf_wasm_layer, 'w', "plugin.wasm")}),
       {},
       {false, false, false, true, false},
       {"invalid media type application/wasm", "number of layers must be 2 but got 1",
        "number of layers must be 2 but got 1", "the CNCF wasm layout",
        "CRI-O 1.33+ mounts it as the file plugin.wasm"}},
      {"oras application/wasm without the v0 config",
       manifest(mt::oci_manifest, blob("application/vnd.oci.empty.v1+json", 'c'), {blob(mt::cncf_wasm_layer, 'w')}),
       {},
       {false, false, false, false, false},
       {"invalid media type", "number of layers must be 2", "number of layers must be 2",
        "must have a config of type application/vnd.wasm.config.v0+json", "not a tar layer"}},
      {"container image",
       manifest(
           mt::oci_manifest, blob(mt::oci_image_config, 'c'),
           {blob(mt::oci_layer_tar_gzip, 'a'), blob(mt::oci_layer_tar_gzip, 'b'), blob(mt::oci_layer_tar_gzip, 'l')}),
       {false, 3},
       {false, false, false, false, false},
       {"number of layers must be 1 but got 3", "plugin.wasm not found", "plugin.wasm not found", "Incompatible",
        "no plugin.wasm"}},
      {"image config with diff_ids that do not match",
       manifest(mt::oci_manifest, blob(mt::oci_image_config, 'c'), {blob(mt::oci_layer_tar_gzip, 'l')}),
       {true, 0},
       {true, true, true, false, false},
       {"only layer", "last layer", "last layer", "Incompatible", "mismatched image rootfs and manifest layers"}},
  };
  const std::vector<std::string> names{"istio-1.12-1.15", "istio-1.16+", "envoy-gateway", "spin/wkg", "image-volume"};
  for (const Row& row : rows) {
    CAPTURE(std::string(row.layout));
    auto verdicts = oci::judge_consumers(row.manifest, row.facts);
    REQUIRE(verdicts.size() == names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      CAPTURE(names[i]);
      CHECK(verdicts[i].name == names[i]);
      CHECK(verdicts[i].accepts == row.accepts[i]);
      CAPTURE(verdicts[i].reason);
      CHECK(verdicts[i].reason.find(row.reason_has[i]) != std::string::npos);
    }
  }
}

TEST_CASE("--for targets name their consumers") {
  CHECK(oci::consumers_of_target("istio") == std::vector<std::string>{"istio-1.12-1.15", "istio-1.16+"});
  CHECK(oci::consumers_of_target("envoy-gateway") == std::vector<std::string>{"envoy-gateway"});
  CHECK(oci::consumers_of_target("spin") == std::vector<std::string>{"spin/wkg"});
  CHECK(oci::consumers_of_target("nginx").empty());
}

TEST_CASE("classify finds the module of a CNCF image and of an oras application/wasm image") {
  auto cncf =
      oci::classify(manifest(mt::oci_manifest, blob(mt::cncf_wasm_config, 'c'), {blob(mt::cncf_wasm_layer, 'w')}));
  CHECK(cncf.format == oci::ArtifactFormat::cncf);
  CHECK(cncf.has_config);
  CHECK(cncf.module_layer.digest == blob(mt::cncf_wasm_layer, 'w').digest);
  auto oras = oci::classify(
      manifest(mt::oci_manifest, blob("application/vnd.oci.empty.v1+json", 'c'), {blob(mt::cncf_wasm_layer, 'w')}));
  CHECK(oras.format == oci::ArtifactFormat::cncf);
  CHECK_FALSE(oras.has_config);
  CHECK(oci::format_from_string("cncf") == oci::ArtifactFormat::cncf);
  CHECK_FALSE(oci::format_from_string("CNCF").has_value());
}
