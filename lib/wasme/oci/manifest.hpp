#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/oci/digest.hpp"

namespace wasme::oci {

using Annotations = std::map<std::string, std::string>;

// Manifests and indexes larger than this are refused (oras-go uses the same 4 MiB bound).
inline constexpr std::uint64_t max_manifest_size = 4u << 20;

// An OCI content descriptor.
struct Descriptor {
  std::string media_type;
  Digest digest;
  std::uint64_t size = 0;
  Annotations annotations;

  friend bool operator==(const Descriptor& a, const Descriptor& b) {
    return a.media_type == b.media_type && a.digest == b.digest && a.size == b.size && a.annotations == b.annotations;
  }
};

// An OCI image manifest, or a Docker schema 2 manifest (same shape, other media types).
struct Manifest {
  int schema_version = 2;
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  Annotations annotations;

  // Deterministic compact JSON: keys sorted, no whitespace, empty annotations and an empty
  // media_type omitted. Same manifest, same bytes. Fields parse() ignores (urls, platform,
  // subject …) are not kept, so for a pulled manifest keep its original bytes: its digest
  // is the digest of those bytes, not of serialize().
  std::string serialize() const;
  // Parses an OCI image manifest or Docker schema 2 manifest (mediaType may be absent, as
  // OCI 1.0 allowed); throws Error(invalid_input) naming the field, e.g.
  // `manifest: layers[1].digest: invalid digest …`. Refuses an index, other media types,
  // schemaVersion != 2 and documents over max_manifest_size.
  static Manifest parse(std::string_view bytes);
};

// An OCI image index (also the store's index.json, and a Docker manifest list).
struct Index {
  int schema_version = 2;
  std::string media_type;
  std::vector<Descriptor> manifests;
  Annotations annotations;

  // Same rules as Manifest::serialize().
  std::string serialize() const;
  // Accepts an OCI index or Docker manifest list (or no mediaType); errors name the field.
  static Index parse(std::string_view bytes);
};

// The media type a manifest document declares. When it declares none (OCI 1.0 allowed that),
// a schemaVersion 2 document with `manifests` is taken for an OCI index and one with
// `config` and `layers` for an OCI manifest. "" for anything else; never throws.
std::string sniff_media_type(std::string_view bytes);

}  // namespace wasme::oci
