#include "wasme/core/json_limits.hpp"

#include <string>

#include "wasme/core/error.hpp"

namespace wasme {
namespace {

std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// Thrown by the parser callback to stop at the first level too deep; never leaves this file.
struct TooDeep {};

}  // namespace

template <class J>
J parse_json_limited(std::string_view text, std::string_view what, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    throw Error(ErrorKind::invalid_input,
                std::string(what) + ": " + std::to_string(text.size()) + " bytes, more than the " +
                    size_text(limits.max_bytes) + " allowed",
                "pass a smaller value");
  }
  // nlohmann's parser keeps its own stack and calls back with the number of arrays and
  // objects around each value: stop when one would open beyond the limit, before any of it
  // is built.
  const typename J::parser_callback_t limit_depth = [&limits](int depth, typename J::parse_event_t event,
                                                              J& /*parsed*/) {
    if ((event == J::parse_event_t::object_start || event == J::parse_event_t::array_start) &&
        static_cast<std::size_t>(depth) >= limits.max_depth) {
      throw TooDeep{};
    }
    return true;
  };
  try {
    return J::parse(text.begin(), text.end(), limit_depth, /*allow_exceptions=*/false);
  } catch (const TooDeep&) {
    throw Error(ErrorKind::invalid_input,
                std::string(what) + ": nested deeper than " + std::to_string(limits.max_depth) + " levels",
                "flatten the JSON");
  }
}

std::string json_syntax_error(std::string_view text) {
  try {
    // Only short text reaches here after parse_json_limited accepted its size and depth.
    nlohmann::json parsed = nlohmann::json::parse(text);
    (void)parsed;
    return {};
  } catch (const nlohmann::json::exception& e) {
    std::string message = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: …": drop the tag.
    if (auto end = message.find("] "); message.rfind("[json.", 0) == 0 && end != std::string::npos) {
      message = message.substr(end + 2);
    }
    return message;
  }
}

template nlohmann::json parse_json_limited<nlohmann::json>(std::string_view, std::string_view, const JsonLimits&);
template nlohmann::ordered_json parse_json_limited<nlohmann::ordered_json>(std::string_view, std::string_view,
                                                                           const JsonLimits&);

}  // namespace wasme
