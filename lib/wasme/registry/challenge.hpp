#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wasme::registry {

// One challenge from a WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"`.
struct Challenge {
  std::string scheme;                         // lowercase: "basic", "bearer", …
  std::map<std::string, std::string> params;  // names lowercase, values unquoted

  std::string param(const std::string& name) const;
};

// Parses every challenge in a header value (RFC 7235: several challenges separated by
// commas, quoted values that may hold commas and escaped quotes). Never throws: malformed
// trailing text is ignored, so a sloppy server degrades to "no usable challenge".
std::vector<Challenge> parse_challenges(std::string_view header);

// The challenge to answer among all WWW-Authenticate values: Bearer over Basic.
std::optional<Challenge> pick_challenge(const std::vector<std::string>& header_values);

}  // namespace wasme::registry
