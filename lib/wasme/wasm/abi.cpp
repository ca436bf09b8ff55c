#include <string_view>

#include "wasme/wasm/module.hpp"

namespace wasme::wasm {
namespace {

struct VersionExport {
  std::string_view name;
  ProxyAbi abi;
};

// Highest first: a module exporting several versions is classified by the newest.
constexpr VersionExport version_exports[] = {
    {"proxy_abi_version_0_2_1", ProxyAbi::v0_2_1},
    {"proxy_abi_version_0_2_0", ProxyAbi::v0_2_0},
    {"proxy_abi_version_0_1_0", ProxyAbi::v0_1_0},
};

bool exports_function(const std::vector<Export>& exports, std::string_view name) {
  for (const auto& e : exports) {
    if (e.kind == ExternalKind::function && e.name == name) return true;
  }
  return false;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Istio 1.4's SDK (istio/envoy@6d525c67 api/wasm/cpp/proxy_wasm_externs.h) names its callbacks
// in camelCase: proxy_onStart, proxy_onConfigure, proxy_onCreate, proxy_onRequestHeaders, ...
bool is_camel_case_callback(std::string_view name) {
  return starts_with(name, "proxy_on") && name.size() > 8 && name[8] >= 'A' && name[8] <= 'Z';
}

}  // namespace

ProxyAbi classify_abi(const std::vector<Export>& exports) {
  for (const auto& v : version_exports) {
    if (exports_function(exports, v.name)) return v.abi;
  }
  bool camel_case = false;
  bool snake_case = false;
  for (const auto& e : exports) {
    // An unknown proxy_abi_version_* means a newer ABI, not an unversioned old one.
    if (starts_with(e.name, "proxy_abi_version_")) return ProxyAbi::none;
    if (e.kind != ExternalKind::function) continue;
    camel_case = camel_case || is_camel_case_callback(e.name);
    snake_case = snake_case || starts_with(e.name, "proxy_on_");
  }
  if (camel_case) return ProxyAbi::istio_1_4;
  return snake_case ? ProxyAbi::pre_0_1_0 : ProxyAbi::none;
}

const char* to_string(ProxyAbi abi) {
  switch (abi) {
    case ProxyAbi::none: return "none";
    case ProxyAbi::istio_1_4: return "istio-1.4 (unversioned)";
    case ProxyAbi::pre_0_1_0: return "pre-0.1.0 (unversioned)";
    case ProxyAbi::v0_1_0: return "v0.1.0";
    case ProxyAbi::v0_2_0: return "v0.2.0";
    case ProxyAbi::v0_2_1: return "v0.2.1";
  }
  return "none";
}

std::string runtime_abi_version(ProxyAbi abi) {
  switch (abi) {
    case ProxyAbi::v0_1_0:
    case ProxyAbi::v0_2_0:
    case ProxyAbi::v0_2_1: return to_string(abi);
    case ProxyAbi::none:
    case ProxyAbi::istio_1_4:
    case ProxyAbi::pre_0_1_0: return "";
  }
  return "";
}

bool operator==(const Import& a, const Import& b) {
  return a.module == b.module && a.name == b.name && a.kind == b.kind;
}

bool operator==(const Export& a, const Export& b) { return a.name == b.name && a.kind == b.kind; }

bool operator==(const ModuleInfo& a, const ModuleInfo& b) {
  return a.version == b.version && a.imports == b.imports && a.exports == b.exports && a.abi == b.abi &&
         a.wasi_modules == b.wasi_modules && a.abi_version_exports == b.abi_version_exports;
}

}  // namespace wasme::wasm
