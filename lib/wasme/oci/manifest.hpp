#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/oci/digest.hpp"

namespace wasme::oci {

using Annotations = std::map<std::string, std::string>;

// An OCI content descriptor.
struct Descriptor {
  std::string media_type;
  Digest digest;
  std::uint64_t size = 0;
  Annotations annotations;

  friend bool operator==(const Descriptor& a, const Descriptor& b) {
    return a.media_type == b.media_type && a.digest == b.digest && a.size == b.size &&
           a.annotations == b.annotations;
  }
};

// An OCI image manifest, or a Docker schema 2 manifest (same shape, other media types).
struct Manifest {
  int schema_version = 2;
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  Annotations annotations;

  // Deterministic compact JSON: keys sorted, no whitespace. Same manifest, same bytes.
  std::string serialize() const;
  // Parses manifest bytes; throws Error(invalid_input) naming the missing or malformed field.
  static Manifest parse(std::string_view bytes);
};

// An OCI image index (also the store's index.json, and a Docker manifest list).
struct Index {
  int schema_version = 2;
  std::string media_type;
  std::vector<Descriptor> manifests;
  Annotations annotations;

  std::string serialize() const;
  static Index parse(std::string_view bytes);
};

// The media type a manifest document declares, or "" when it declares none.
std::string sniff_media_type(std::string_view bytes);

}  // namespace wasme::oci
