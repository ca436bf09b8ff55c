#include "wasme/oci/reference.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "wasme/core/error.hpp"

namespace wasme::oci {

namespace {

constexpr size_t max_name_length = 255;
constexpr size_t max_tag_length = 128;
constexpr const char* grammar_hint =
    "a reference looks like [registry[:port]/]repository[:tag][@sha256:<hex>], e.g. "
    "ghcr.io/team/filter:v1 or localhost:5000/filter@sha256:…";

[[noreturn]] void fail(std::string_view input, const std::string& why) {
  throw Error(ErrorKind::invalid_input, "invalid reference \"" + std::string(input) + "\": " + why, grammar_hint);
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

// [a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*
bool is_path_component(std::string_view c) {
  size_t i = 0;
  while (true) {
    size_t run = 0;
    while (i < c.size() && is_lower_alnum(c[i])) ++i, ++run;
    if (run == 0) return false;
    if (i == c.size()) return true;
    size_t sep_start = i;
    while (i < c.size() && !is_lower_alnum(c[i])) ++i;
    std::string_view sep = c.substr(sep_start, i - sep_start);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
  }
}

void check_path(std::string_view input, std::string_view path) {
  if (path.empty()) fail(input, "missing repository path");
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string_view component = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (component.empty()) {
      if (start == 0) fail(input, "repository must not start with '/'");
      if (slash == std::string_view::npos) fail(input, "trailing slash");
      fail(input, "empty path component (\"//\")");
    }
    if (to_lower(component) != component) fail(input, "repository must be lowercase");
    if (!is_path_component(component)) {
      fail(input, "invalid path component \"" + std::string(component) +
                      "\": use lowercase letters and digits separated by '.', '_', '__' or '-'");
    }
    if (slash == std::string_view::npos) return;
    start = slash + 1;
  }
}

// [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])? joined by dots.
bool is_domain(std::string_view host) {
  if (host.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back())) return false;
    for (char c : label) {
      if (!is_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

void check_port(std::string_view input, std::string_view port) {
  if (port.empty()) fail(input, "empty port after ':' in the registry");
  bool digits = port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos;
  unsigned long number = digits ? std::stoul(std::string(port)) : 0;
  if (number == 0 || number > 65535) {
    fail(input, "bad port \"" + std::string(port) + "\": must be a number from 1 to 65535");
  }
}

// Returns the normalized (lowercase) registry.
std::string check_registry(std::string_view input, std::string_view registry) {
  std::string_view host = registry;
  if (registry.front() == '[') {
    size_t close = registry.find(']');
    host = registry.substr(1, close - 1);
    in6_addr addr{};
    if (::inet_pton(AF_INET6, std::string(host).c_str(), &addr) != 1) {
      fail(input, "\"" + std::string(host) + "\" is not an IPv6 address");
    }
    std::string_view rest = registry.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') fail(input, "expected ':' or '/' after ']'");
      check_port(input, rest.substr(1));
    }
    return to_lower(registry);
  }
  size_t colon = registry.find(':');
  if (colon != std::string_view::npos) {
    host = registry.substr(0, colon);
    check_port(input, registry.substr(colon + 1));
  }
  if (!is_domain(host)) fail(input, "invalid registry host \"" + std::string(host) + "\"");
  std::string normalized = to_lower(registry);
  if (normalized == "index.docker.io") normalized = "docker.io";
  return normalized;
}

void check_tag(std::string_view input, std::string_view tag) {
  if (tag.empty()) fail(input, "empty tag after ':'");
  if (tag.size() > max_tag_length) {
    fail(input, "tag is " + std::to_string(tag.size()) + " characters, the limit is 128");
  }
  if (!is_word(tag.front())) fail(input, "tag must start with a letter, digit or '_'");
  for (char c : tag) {
    if (!is_word(c) && c != '.' && c != '-') {
      fail(input, "invalid character '" + std::string(1, c) + "' in tag \"" + std::string(tag) +
                      "\" (allowed: letters, digits, '_', '.', '-')");
    }
  }
}

bool looks_like_registry(std::string_view first) {
  return first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
         (!first.empty() && first.front() == '[');
}

void check_characters(std::string_view text) {
  if (text.empty()) fail(text, "empty reference");
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      fail(text, "contains whitespace");
    }
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      fail(text, "contains a control or non-ASCII character");
    }
  }
}

// Takes "@digest" off the end into ref.digest; returns what precedes it.
std::string_view split_digest(std::string_view text, Reference& ref) {
  size_t at = text.find('@');
  if (at == std::string_view::npos) return text;
  std::string_view digest = text.substr(at + 1);
  if (digest.empty()) fail(text, "'@' must be followed by a digest (sha256:<64 hex>)");
  ref.digest = with_context("invalid reference \"" + std::string(text) + "\"", [&] { return Digest::parse(digest); });
  return text.substr(0, at);
}

// Takes ":tag" (a colon after the last '/') into ref.tag; returns what precedes it.
std::string_view split_tag(std::string_view text, std::string_view rest, Reference& ref) {
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) fail(text, "unclosed '[' in the registry");
    if (rest.find('/', close) == std::string_view::npos) {
      fail(text, "registry \"" + std::string(rest) + "\" must be followed by /repository");
    }
  }
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.find(':', last_slash == std::string_view::npos ? 0 : last_slash + 1);
  if (colon == std::string_view::npos) return rest;
  std::string_view tag = rest.substr(colon + 1);
  check_tag(text, tag);
  ref.tag = std::string(tag);
  return rest.substr(0, colon);
}

}  // namespace

Reference Reference::parse(std::string_view text) {
  check_characters(text);
  Reference ref;
  std::string_view rest = split_digest(text, ref);
  rest = split_tag(text, rest, ref);
  if (rest.empty()) fail(text, "missing repository name");
  size_t slash = rest.find('/');
  std::string_view path = rest;
  ref.registry = "docker.io";
  if (slash != std::string_view::npos && looks_like_registry(rest.substr(0, slash))) {
    ref.registry = check_registry(text, rest.substr(0, slash));
    path = rest.substr(slash + 1);
  }
  check_path(text, path);
  ref.repository = std::string(path);
  if (ref.registry == "docker.io" && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  if (ref.name().size() > max_name_length) {
    fail(text, "name \"" + ref.name() + "\" is " + std::to_string(ref.name().size()) + " characters, the limit is 255");
  }
  if (!ref.tag && !ref.digest) ref.tag = "latest";
  return ref;
}

std::string Reference::str() const {
  std::string out = name();
  if (tag) out += ":" + *tag;
  if (digest) out += "@" + digest->str();
  return out;
}

std::string Reference::manifest_ref() const {
  if (digest) return digest->str();
  return tag ? *tag : std::string("latest");
}

Reference Reference::with_tag(std::string new_tag) const {
  check_tag(name() + ":" + new_tag, new_tag);
  Reference r = *this;
  r.tag = std::move(new_tag);
  r.digest.reset();
  return r;
}

Reference Reference::with_digest(Digest d) const {
  Reference r = *this;
  r.digest = std::move(d);
  return r;
}

std::string registry_host(const std::string& registry) {
  if (!registry.empty() && registry.front() == '[') {
    size_t close = registry.find(']');
    return registry.substr(1, close == std::string::npos ? std::string::npos : close - 1);
  }
  return registry.substr(0, registry.find(':'));
}

bool is_loopback_registry(const std::string& registry) {
  std::string host = to_lower(registry_host(registry));
  if (host == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0) return true;
    // ::ffff:127.x.y.z, an IPv4-mapped loopback address.
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(v6.s6_addr, mapped, 12) == 0 && v6.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace wasme::oci
