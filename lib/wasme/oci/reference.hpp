#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "wasme/oci/digest.hpp"

namespace wasme::oci {

// An image reference in the Docker/distribution grammar:
//   [registry[:port]/]path[/path...][:tag][@sha256:hex]
// Parsing normalizes the way docker does: no registry means docker.io, a single Docker Hub
// path component gets library/, and no tag and no digest means tag "latest".
struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "127.0.0.1:5000", "[::1]:5000"
  std::string repository;  // "library/ubuntu", "team/filters/add-header"
  std::optional<std::string> tag;
  std::optional<Digest> digest;

  // Throws Error(invalid_input) with one message per malformed case.
  static Reference parse(std::string_view text);

  // Canonical form: registry/repository[:tag][@digest]. Stable: parse(r.str()) == r.
  std::string str() const;
  // registry/repository
  std::string name() const { return registry + "/" + repository; }
  // What goes after /manifests/ in a registry URL: the digest when present, else the tag.
  std::string manifest_ref() const;
  // The same repository with another tag (and no digest).
  Reference with_tag(std::string new_tag) const;
  Reference with_digest(Digest d) const;

  friend bool operator==(const Reference& a, const Reference& b) { return a.str() == b.str(); }
  friend bool operator!=(const Reference& a, const Reference& b) { return !(a == b); }
};

// The host part without port or brackets: "localhost", "127.0.0.1", "::1", "ghcr.io".
std::string registry_host(const std::string& registry);
// True for localhost, 127.0.0.0/8 and ::1: registries that may default to plain HTTP.
bool is_loopback_registry(const std::string& registry);

}  // namespace wasme::oci
