#include "wasme/render/k8s_names.hpp"

#include "wasme/core/error.hpp"

namespace wasme::render {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Lowercase letters, digits and '-' (and '.' where dots_allowed), starting and ending with a
// letter or digit (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label, IsDNS1123Subdomain).
bool valid(const std::string& value, size_t max, bool dots_allowed) {
  if (value.empty() || value.size() > max) return false;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    bool edge = i == 0 || i + 1 == value.size();
    if (is_lower_alnum(c)) continue;
    if (edge || !(c == '-' || (dots_allowed && c == '.'))) return false;
    if (c == '.' && (!is_lower_alnum(value[i - 1]) || !is_lower_alnum(value[i + 1]))) return false;
  }
  return true;
}

}  // namespace

void check_dns_label(const std::string& value, const std::string& flag) {
  if (valid(value, 63, false)) return;
  throw Error(ErrorKind::usage, flag + " \"" + value + "\" is not a valid Kubernetes name",
              "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit");
}

void check_dns_subdomain(const std::string& value, const std::string& flag) {
  if (valid(value, 253, true)) return;
  throw Error(ErrorKind::usage, flag + " \"" + value + "\" is not a valid Kubernetes object name",
              "use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a "
              "letter or digit");
}

KindName split_kind_name(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return {};
  return {std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

}  // namespace wasme::render
