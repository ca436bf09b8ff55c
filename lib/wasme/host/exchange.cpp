#include "wasme/host/exchange.hpp"

#include <algorithm>

namespace wasme::host {

std::string lower_case(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<std::string> header_value(const Headers& headers, std::string_view key) {
  std::string wanted = lower_case(key);
  std::optional<std::string> joined;
  for (const auto& [k, v] : headers) {
    if (k != wanted) continue;
    // Several values of one header read as one, comma-joined, as a client reads them.
    joined = joined ? *joined + "," + v : v;
  }
  return joined;
}

std::optional<std::string> first_header_value(const Headers& headers, std::string_view key) {
  std::string wanted = lower_case(key);
  for (const auto& [k, v] : headers) {
    if (k == wanted) return v;
  }
  return std::nullopt;
}

void remove_header(Headers& headers, std::string_view key) {
  std::string wanted = lower_case(key);
  headers.erase(std::remove_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == wanted; }),
                headers.end());
}

void replace_header(Headers& headers, std::string_view key, std::string_view value) {
  std::string wanted = lower_case(key);
  auto first = std::find_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == wanted; });
  if (first == headers.end()) {
    headers.emplace_back(wanted, std::string(value));
    return;
  }
  first->second = std::string(value);
  headers.erase(std::remove_if(first + 1, headers.end(), [&](const auto& h) { return h.first == wanted; }),
                headers.end());
}

}  // namespace wasme::host
