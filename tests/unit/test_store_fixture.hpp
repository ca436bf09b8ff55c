#pragma once
// Shared by the test_store_*.cpp files: small images put into a store.
#include <filesystem>
#include <string>

#include "wasme/core/fs.hpp"
#include "wasme/oci/media_types.hpp"
#include "wasme/store/store.hpp"

namespace store_test {

namespace fs = std::filesystem;
namespace oci = wasme::oci;

inline oci::Descriptor put(wasme::store::Store& store, const std::string& bytes, std::string_view media_type) {
  oci::Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = oci::sha256_of(bytes);
  d.size = bytes.size();
  store.put_blob(bytes, d.digest);
  return d;
}

struct TestImage {
  oci::Descriptor manifest;
  oci::Descriptor config;
  oci::Descriptor layer;
};

// A wasme-shaped image (config repeated as layer 0, then the wasm layer) with given contents.
inline TestImage put_image(wasme::store::Store& store, const std::string& wasm,
                           const std::string& config = R"({"type":"envoy_proxy"})") {
  TestImage image;
  image.config = put(store, config, oci::media_type::wasm_config);
  image.layer = put(store, std::string("\0asm", 4) + wasm, oci::media_type::wasm_layer);
  oci::Manifest manifest;
  manifest.media_type = std::string(oci::media_type::oci_manifest);
  manifest.config = image.config;
  manifest.layers = {image.config, image.layer};
  image.manifest = put(store, manifest.serialize(), oci::media_type::oci_manifest);
  return image;
}

inline oci::Reference parse_ref(const std::string& text) { return oci::Reference::parse(text); }

}  // namespace store_test
