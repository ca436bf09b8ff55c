// libFuzzer entry point for the reference parser: any input either parses or throws
// wasme::Error, and whatever parses has a stable canonical form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wasme/core/error.hpp"
#include "wasme/oci/reference.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto ref = wasme::oci::Reference::parse(text);
    auto again = wasme::oci::Reference::parse(ref.str());
    if (again.str() != ref.str() || again.registry != ref.registry || again.repository != ref.repository ||
        again.tag != ref.tag || again.digest != ref.digest) {
      std::abort();  // canonical form is not stable
    }
    (void)ref.manifest_ref();
    (void)wasme::oci::registry_host(ref.registry);
    (void)wasme::oci::is_loopback_registry(ref.registry);
  } catch (const wasme::Error&) {
  }
  // The registry helpers take any string, not only parsed ones.
  (void)wasme::oci::registry_host(std::string(text));
  (void)wasme::oci::is_loopback_registry(std::string(text));
  return 0;
}
