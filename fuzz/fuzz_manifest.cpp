// libFuzzer entry point for the JSON documents we read from registries and stores: manifests,
// indexes, runtime configs and 2019 configs. Any input either parses or throws wasme::Error;
// whatever parses serializes to bytes that parse back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wasme/core/error.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/oci/runtime_config.hpp"

namespace {

template <class F>
void ignoring_errors(F&& f) {
  try {
    f();
  } catch (const wasme::Error&) {
  }
}

template <class Document>
void check_round_trip(const Document& doc) {
  std::string bytes;
  try {
    bytes = doc.serialize();
  } catch (const wasme::Error&) {
    return;  // parsed JSON is valid UTF-8, but keep the harness honest if that changes
  }
  if (Document::parse(bytes).serialize() != bytes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)wasme::oci::sniff_media_type(text);
  ignoring_errors([&] {
    auto manifest = wasme::oci::Manifest::parse(text);
    check_round_trip(manifest);
    (void)wasme::oci::istio_rejection_reason(manifest);
    (void)wasme::oci::classify(manifest);
  });
  ignoring_errors([&] { check_round_trip(wasme::oci::Index::parse(text)); });
  ignoring_errors([&] {
    auto config = wasme::oci::RuntimeConfig::parse(text);
    if (!(wasme::oci::RuntimeConfig::parse(config.serialize()) == config)) std::abort();
  });
  ignoring_errors([&] { (void)wasme::oci::parse_solo_2019_config(text); });
  return 0;
}
