#pragma once
#include <string>
#include <string_view>

namespace wasme {

// An upper bound of the nesting a YAML parser would recurse through, read from the text alone:
// flow collections ([ and {) outside quoted strings, and per line its indentation plus "- "
// and "? " prefixes (block nesting needs at least one column a level). yaml-cpp recurses once
// per level while it parses, so text is checked with this before it is handed over.
int yaml_nesting_bound(std::string_view text);

// Throws Error(invalid_input) "WHAT: nested deeper than N levels" when the bound exceeds max.
void check_yaml_nesting(std::string_view text, int max_depth, const std::string& what);

}  // namespace wasme
