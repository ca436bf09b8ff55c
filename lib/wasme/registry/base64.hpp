#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace wasme::registry {

// Standard base64 with padding (Basic auth headers, docker config "auth" fields).
std::string base64_encode(std::string_view bytes);
// Decodes standard base64 (padding optional, whitespace refused); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace wasme::registry
