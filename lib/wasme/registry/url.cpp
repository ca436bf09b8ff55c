#include "wasme/registry/url.hpp"

#include "wasme/core/error.hpp"

namespace wasme::registry {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// host:port with the scheme's default port made explicit, so "h" and "h:443" compare equal.
std::string canonical_authority(const Url& url) {
  std::string authority = lower(url.authority);
  auto bracket = authority.rfind(']');
  auto colon = authority.rfind(':');
  bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  if (has_port) return authority;
  return authority + (url.scheme == "https" ? ":443" : ":80");
}

// text as an error may show it: user info and the query (which may carry a signature or a
// token) are replaced by "…".
std::string shown(std::string_view text) {
  std::string_view rest = text;
  auto sep = rest.find("://");
  std::string out;
  if (sep != std::string_view::npos) {
    out = std::string(rest.substr(0, sep + 3));
    rest = rest.substr(sep + 3);
  }
  auto query = rest.find_first_of("?#");
  std::string_view before_query = rest.substr(0, query);
  auto authority_end = before_query.find('/');
  auto at = before_query.substr(0, authority_end).rfind('@');
  if (at != std::string_view::npos) {
    out += "…@";
    before_query = before_query.substr(at + 1);
  }
  out += std::string(before_query);
  if (query != std::string_view::npos) out += "?…";
  return out;
}

}  // namespace

Url Url::parse(std::string_view text) {
  auto fail = [&](const char* why) -> Url {
    throw Error(ErrorKind::invalid_input, "invalid URL \"" + shown(text) + "\": " + why);
  };
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return fail("not an absolute URL");
  Url url;
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") return fail("only http and https are allowed");
  std::string_view rest = text.substr(sep + 3);
  auto fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  auto path_start = rest.find_first_of("/?");
  url.authority = std::string(rest.substr(0, path_start));
  if (url.authority.empty()) return fail("no host");
  if (url.authority.find('@') != std::string::npos) return fail("user info is not allowed");
  std::string_view tail = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  auto q = tail.find('?');
  url.path = std::string(tail.substr(0, q));
  if (url.path.empty()) url.path = "/";
  if (q != std::string_view::npos) url.query = std::string(tail.substr(q + 1));
  return url;
}

std::string Url::str() const { return scheme + "://" + authority + path + (query.empty() ? "" : "?" + query); }

std::string Url::redacted() const { return scheme + "://" + authority + path + (query.empty() ? "" : "?…"); }

std::string Url::host() const {
  if (!authority.empty() && authority.front() == '[') {
    return authority.substr(1, authority.find(']') - 1);
  }
  return authority.substr(0, authority.find(':'));
}

Url Url::with_param(std::string_view key, std::string_view value) const {
  Url out = *this;
  if (!out.query.empty()) out.query += "&";
  out.query += url_encode(key) + "=" + url_encode(value);
  return out;
}

Url resolve_location(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return Url::parse(location);
  if (location.substr(0, 2) == "//") return Url::parse(base.scheme + ":" + std::string(location));
  Url out = base;
  std::string_view loc = location;
  auto q = loc.find('?');
  std::string_view path = loc.substr(0, q);
  out.query = q == std::string_view::npos ? "" : std::string(loc.substr(q + 1));
  if (path.empty()) {
    out.path = base.path;
  } else if (path.front() == '/') {
    out.path = std::string(path);
  } else {
    out.path = base.path.substr(0, base.path.rfind('/') + 1) + std::string(path);
  }
  return out;
}

std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

bool same_origin_host(const Url& a, const Url& b) {
  return a.scheme == b.scheme && canonical_authority(a) == canonical_authority(b);
}

}  // namespace wasme::registry
