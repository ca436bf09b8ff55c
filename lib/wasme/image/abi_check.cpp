#include "wasme/image/abi_check.hpp"

#include <algorithm>

namespace wasme::image {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string export_name(std::string version) {
  std::replace(version.begin(), version.end(), '.', '_');
  return "proxy_abi_version_" + version.substr(1);
}

bool is_hash_named(const std::string& abi) { return abi.rfind("v0-", 0) == 0; }

}  // namespace

std::optional<std::string> abi_mismatch(const oci::RuntimeConfig& config, wasm::ProxyAbi module_abi) {
  if (config.abi_versions.empty() || module_abi == wasm::ProxyAbi::none) return std::nullopt;
  const auto& declared = config.abi_versions;
  std::string exported = wasm::runtime_abi_version(module_abi);
  if (exported.empty()) {
    // An unversioned (Istio 1.4-era) module matches only the hash-named ABIs.
    if (std::any_of(declared.begin(), declared.end(), is_hash_named)) return std::nullopt;
    return "runtime config declares ABI " + join(declared) +
           " but the module exports no proxy_abi_version_* function (an Istio 1.4-era module)";
  }
  if (std::find(declared.begin(), declared.end(), exported) != declared.end()) return std::nullopt;
  return "runtime config declares ABI " + join(declared) + " but the module exports " + exported + " (" +
         export_name(exported) + ")";
}

}  // namespace wasme::image
