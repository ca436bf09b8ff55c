#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace wasme {

// Bounds for JSON from outside the program (a flag, a file, a server's answer).
struct JsonLimits {
  std::size_t max_depth = 64;           // arrays and objects inside each other: {"a":[1]} is 2
  std::size_t max_bytes = 1024 * 1024;  // the text's length
};

// Parses untrusted JSON so that neither its size nor its nesting can exhaust memory or the
// stack afterwards (copying, comparing, dumping or rendering a json value recurses once per
// level). Text longer than limits.max_bytes, or nested deeper than limits.max_depth, throws
// Error(invalid_input) "WHAT: …", e.g. "--config: nested deeper than 64 levels"; nesting is
// refused while parsing, as soon as the parser opens the first level too many.
// Malformed JSON is not an error here: as with J::parse(text, nullptr, false) the result is
// then discarded (is_discarded()), so each caller keeps its own message for it.
// J is nlohmann::json or nlohmann::ordered_json.
template <class J>
J parse_json_limited(std::string_view text, std::string_view what, const JsonLimits& limits = {});

// Why text is not JSON, as the parser says it ("number overflow parsing '1e400'", "syntax
// error … at line 1, column 3"); empty when it is JSON. For messages after a discarded parse.
std::string json_syntax_error(std::string_view text);

extern template nlohmann::json parse_json_limited<nlohmann::json>(std::string_view, std::string_view,
                                                                  const JsonLimits&);
extern template nlohmann::ordered_json parse_json_limited<nlohmann::ordered_json>(std::string_view, std::string_view,
                                                                                  const JsonLimits&);

}  // namespace wasme
