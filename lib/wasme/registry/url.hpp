#pragma once
#include <string>
#include <string_view>

namespace wasme::registry {

// An absolute http(s) URL split into the parts the client reasons about: which host gets
// credentials (authority), what a log line may show (no query), where a Location points.
struct Url {
  std::string scheme;     // "http" or "https"
  std::string authority;  // "host", "host:port", "[::1]:5000" (never user info)
  std::string path;       // starts with '/'
  std::string query;      // without '?'; may be empty

  // Parses an absolute http(s) URL; throws Error(invalid_input) for anything else.
  static Url parse(std::string_view text);
  std::string str() const;
  // For logs: scheme://authority/path plus "?…" when a query exists (queries may hold tokens).
  std::string redacted() const;
  // Host without port or brackets.
  std::string host() const;
  // Appends key=value (value percent-encoded) to the query.
  Url with_param(std::string_view key, std::string_view value) const;
};

// Resolves a Location header (absolute, absolute-path or relative) against the request URL.
Url resolve_location(const Url& base, std::string_view location);

// Percent-encodes everything except unreserved characters (RFC 3986).
std::string url_encode(std::string_view text);

// True when both URLs have the same scheme, host and port (default ports made explicit), i.e.
// when credentials meant for one may be sent to the other: never to another host, and never
// from https down to plain http on the same host.
bool same_origin_host(const Url& a, const Url& b);

}  // namespace wasme::registry
