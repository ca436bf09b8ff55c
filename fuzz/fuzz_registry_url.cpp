// libFuzzer entry point for URLs and Location headers: parse or throw wasme::Error; what
// parses prints and re-parses to the same URL, and resolving against it stays http(s).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wasme/core/error.hpp"
#include "wasme/registry/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using wasme::registry::Url;
  try {
    Url url = Url::parse(text);
    if (Url::parse(url.str()).str() != url.str()) std::abort();  // printing is stable
    (void)url.redacted();
    (void)url.host();
  } catch (const wasme::Error&) {
  }
  try {
    Url base = Url::parse("https://registry.example:5000/v2/a/b/blobs/uploads/");
    Url next = wasme::registry::resolve_location(base, text);
    if (next.str().rfind("http", 0) != 0) std::abort();  // a Location never leaves http(s)
  } catch (const wasme::Error&) {
  }
  (void)wasme::registry::url_encode(text);
  return 0;
}
