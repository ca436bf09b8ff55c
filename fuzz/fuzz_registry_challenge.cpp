// libFuzzer entry point for WWW-Authenticate parsing: any header parses (to zero or more
// challenges) without crashing, and picking one never throws.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "wasme/core/error.hpp"
#include "wasme/registry/challenge.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)wasme::registry::parse_challenges(text);
    // Several headers: the input split at newlines, as a server sending many would.
    std::vector<std::string> headers;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
      if (i == text.size() || text[i] == '\n') {
        headers.push_back(text.substr(start, i - start));
        start = i + 1;
      }
    }
    (void)wasme::registry::pick_challenge(headers);
  } catch (const wasme::Error&) {
  }
  return 0;
}
