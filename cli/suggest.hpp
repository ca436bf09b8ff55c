#pragma once
#include <optional>
#include <string>
#include <vector>

namespace wasme::cli {

// The candidate closest to word by edit distance, if it is close enough to be a typo.
std::optional<std::string> closest_word(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace wasme::cli
