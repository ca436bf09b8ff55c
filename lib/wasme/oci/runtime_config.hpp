#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace wasme::oci {

// The wasme runtime config (runtime-config.json): which proxy, which ABI, which root ids.
struct RuntimeConfig {
  std::string type = "envoy_proxy";
  std::vector<std::string> abi_versions;
  std::vector<std::string> root_ids;

  // Accepts camelCase (abiVersions, config.rootIds) and snake_case (abi_versions, root_ids),
  // null lists (the original's Go encoder wrote them) and a missing type (envoy_proxy).
  // Rejects unknown fields (listing the allowed ones), wrong types, both spellings at once
  // and documents over 1 MiB. Errors start with `source`. Throws Error(invalid_input).
  static RuntimeConfig parse(std::string_view json, std::string_view source = "runtime config");
  // Compact camelCase in the original's key order:
  // {"type":…,"abiVersions":[…],"config":{"rootIds":[…]}}
  std::string serialize() const;

  friend bool operator==(const RuntimeConfig& a, const RuntimeConfig& b) {
    return a.type == b.type && a.abi_versions == b.abi_versions && a.root_ids == b.root_ids;
  }
};

// The 2019 format's config ({"roots":[{"id":…}]}) converted to the current model: root ids
// only, no ABI. Other fields are ignored (the 2019 format had no fixed schema for them).
RuntimeConfig parse_solo_2019_config(std::string_view json);

}  // namespace wasme::oci
