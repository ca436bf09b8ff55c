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

bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// A label value or a qualified name's name part: at most 63 of [A-Za-z0-9-_.], starting and
// ending with a letter or digit (IsValidLabelValue, IsQualifiedName).
bool valid_label_part(const std::string& value, bool empty_ok) {
  if (value.empty()) return empty_ok;
  if (value.size() > 63 || !is_alnum(value.front()) || !is_alnum(value.back())) return false;
  for (char c : value) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::string shown(const std::string& value) {
  std::string out;
  for (unsigned char c : value) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return "\"" + out + "\"";
}

}  // namespace

void check_label_key(const std::string& key, const std::string& flag) {
  auto slash = key.find('/');
  const std::string prefix = slash == std::string::npos ? "" : key.substr(0, slash);
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  if (valid_label_part(name, false) && (slash == std::string::npos || valid(prefix, 253, true))) return;
  throw Error(ErrorKind::usage, flag + ": label key " + shown(key) + " is not valid in Kubernetes",
              "a key is NAME or PREFIX/NAME: NAME at most 63 letters, digits, '-', '_' and '.', starting and "
              "ending with a letter or digit; PREFIX a DNS subdomain");
}

void check_label_value(const std::string& value, const std::string& flag) {
  if (valid_label_part(value, true)) return;
  throw Error(ErrorKind::usage, flag + ": label value " + shown(value) + " is not valid in Kubernetes",
              "at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)");
}

void check_port_name(const std::string& name, const std::string& where) {
  // IsValidPortName: at most 15 lowercase letters, digits and '-', a letter among them, no
  // '-' at either end or twice in a row.
  bool letter = false, ok = !name.empty() && name.size() <= 15 && name.front() != '-' && name.back() != '-' &&
                            name.find("--") == std::string::npos;
  for (char c : name) {
    letter = letter || (c >= 'a' && c <= 'z');
    ok = ok && (is_lower_alnum(c) || c == '-');
  }
  if (ok && letter) return;
  throw Error(ErrorKind::invalid_input, where + ": port name " + shown(name) + " is not valid in Kubernetes",
              "at most 15 lowercase letters, digits and '-', with at least one letter");
}

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
