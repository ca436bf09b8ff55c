#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/oci/digest.hpp"

namespace wasme::oci {

// The config blob of the CNCF wasm layout (application/vnd.wasm.config.v0+json), as the spec
// (cncf/tag-runtime wgs/wasm/deliverables/wasm-oci-artifact/index.md) defines it and
// bytecodealliance/rust-oci-wasm v0.4.0 src/config.rs writes it. docs/LAYOUTS.md.
struct CncfConfig {
  std::string created;  // RFC 3339, "Z"
  std::optional<std::string> author;
  std::string architecture = "wasm";
  std::string os = "wasip1";  // wasip1: a core module (every proxy-wasm filter); wasip2: a component
  std::vector<std::string> layer_digests;
  bool component = false;  // a "component" object was present (wasip2); its lists are not kept

  // For a core module: architecture wasm, os wasip1, the layer's digest, and `created` from
  // SOURCE_DATE_EPOCH or else the epoch: the same module gives the same config bytes, as
  // reproducible-build tools do (created is required by oci-wasm's reader, so it is written).
  static CncfConfig for_module(const Digest& module_digest);
  // Exactly oci-wasm's bytes: compact, fields in its order, absent optionals as null:
  // {"created":…,"author":null,"architecture":"wasm","os":"wasip1","layerDigests":[…],"component":null}
  std::string serialize() const;
  // What oci-wasm's reader requires (created, architecture, os, layerDigests; author and
  // component optional), plus architecture "wasm" and os wasip1 or wasip2. Errors name the
  // field: `config: layerDigests[0]: …`. Throws Error(invalid_input).
  static CncfConfig parse(std::string_view json, std::string_view source = "config");
};

}  // namespace wasme::oci
