#include "wasme/core/yaml_limits.hpp"

#include <algorithm>

#include "wasme/core/error.hpp"

namespace wasme {

int yaml_nesting_bound(std::string_view text) {
  int depth = 0, deepest = 0;
  char quote = 0;
  bool line_start = true;
  int column = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (line_start) {
      if (c == ' ' || c == '\t' || ((c == '-' || c == '?') && i + 1 < text.size() && text[i + 1] == ' ')) {
        deepest = std::max(deepest, ++column);
        continue;
      }
      line_start = false;
    }
    if (c == '\n') {
      line_start = true;
      column = 0;
      quote = 0;  // conservative: a bracket in a multi-line quoted string counts
      continue;
    }
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    else if ((c == ']' || c == '}') && depth > 0) --depth;
  }
  return deepest;
}

void check_yaml_nesting(std::string_view text, int max_depth, const std::string& what) {
  if (yaml_nesting_bound(text) > max_depth) {
    throw Error(ErrorKind::invalid_input, what + ": nested deeper than " + std::to_string(max_depth) + " levels");
  }
}

}  // namespace wasme
