#pragma once
#include <optional>
#include <string>

#include "wasme/oci/runtime_config.hpp"
#include "wasme/wasm/module.hpp"

namespace wasme::image {

// A warning when the ABI the module exports disagrees with the config's abiVersions, e.g.
// the config says v0.2.0 but the module exports proxy_abi_version_0_2_1. Versions the
// module cannot confirm (the hash-named ABIs of Istio 1.4-1.8) only disagree with a module
// that exports a versioned ABI.
std::optional<std::string> abi_mismatch(const oci::RuntimeConfig& config, wasm::ProxyAbi module_abi);

}  // namespace wasme::image
