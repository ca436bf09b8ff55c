#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "wasme/wasm/module.hpp"

using namespace wasme::wasm;

namespace {

std::vector<Export> functions(std::initializer_list<const char*> names) {
  std::vector<Export> out;
  for (const char* n : names) out.push_back({n, ExternalKind::function});
  return out;
}

}  // namespace

TEST_CASE("classify_abi") {
  struct Case {
    const char* label;
    std::vector<Export> exports;
    ProxyAbi abi;
  };
  const Case cases[] = {
      {"nothing", {}, ProxyAbi::none},
      {"plain", functions({"add", "memory"}), ProxyAbi::none},
      {"0.2.1", functions({"proxy_abi_version_0_2_1", "proxy_on_vm_start"}), ProxyAbi::v0_2_1},
      {"0.2.0", functions({"proxy_on_configure", "proxy_abi_version_0_2_0"}), ProxyAbi::v0_2_0},
      {"0.1.0", functions({"proxy_abi_version_0_1_0"}), ProxyAbi::v0_1_0},
      {"several: the highest wins",
       functions({"proxy_abi_version_0_1_0", "proxy_abi_version_0_2_1", "proxy_abi_version_0_2_0"}), ProxyAbi::v0_2_1},
      {"istio 1.4: camelCase", functions({"proxy_onStart", "proxy_onConfigure", "proxy_onCreate"}),
       ProxyAbi::istio_1_4},
      {"one camelCase callback is enough", functions({"proxy_onRequestHeaders"}), ProxyAbi::istio_1_4},
      {"snake_case without a version: pre-0.1.0",
       functions({"proxy_on_start", "proxy_on_configure", "proxy_on_create"}), ProxyAbi::pre_0_1_0},
      {"one snake_case callback is enough", functions({"proxy_on_context_create"}), ProxyAbi::pre_0_1_0},
      {"camelCase wins over snake_case", functions({"proxy_on_start", "proxy_onStart"}), ProxyAbi::istio_1_4},
      {"lowercase after proxy_on is not camelCase", functions({"proxy_onstart"}), ProxyAbi::none},
      {"camelCase next to a version export", functions({"proxy_onStart", "proxy_abi_version_0_1_0"}), ProxyAbi::v0_1_0},
      {"version export that is a global", {{"proxy_abi_version_0_2_1", ExternalKind::global}}, ProxyAbi::none},
      {"callbacks that are not functions", {{"proxy_on_start", ExternalKind::memory}}, ProxyAbi::none},
      {"unknown version is not istio 1.4", functions({"proxy_abi_version_0_3_0", "proxy_on_vm_start"}), ProxyAbi::none},
      {"unknown version next to a known one", functions({"proxy_abi_version_0_3_0", "proxy_abi_version_0_2_1"}),
       ProxyAbi::v0_2_1},
      {"prefix only", functions({"proxy_on", "proxy_abi_version"}), ProxyAbi::none},
  };
  for (const auto& c : cases) {
    CAPTURE(c.label);
    CHECK(classify_abi(c.exports) == c.abi);
  }
}

TEST_CASE("ABI names and runtime versions") {
  struct Case {
    ProxyAbi abi;
    std::string name;
    std::string runtime;
  };
  const Case cases[] = {
      {ProxyAbi::none, "none", ""},
      {ProxyAbi::istio_1_4, "istio-1.4 (unversioned)", ""},
      {ProxyAbi::pre_0_1_0, "pre-0.1.0 (unversioned)", ""},
      {ProxyAbi::v0_1_0, "v0.1.0", "v0.1.0"},
      {ProxyAbi::v0_2_0, "v0.2.0", "v0.2.0"},
      {ProxyAbi::v0_2_1, "v0.2.1", "v0.2.1"},
  };
  for (const auto& c : cases) {
    CHECK(to_string(c.abi) == c.name);
    CHECK(runtime_abi_version(c.abi) == c.runtime);
  }
  CHECK(std::string(to_string(ExternalKind::function)) == "function");
  CHECK(std::string(to_string(ExternalKind::tag)) == "tag");
}

TEST_CASE("read_module lists proxy_abi_version_* exports and WASI modules") {
  using namespace std::string_literals;
  // exports proxy_abi_version_0_3_0 and proxy_abi_version_0_2_0 (functions 0 and 1);
  // imports wasi_unstable twice and wasi_snapshot_preview1 once.
  auto name = [](const std::string& s) { return std::string(1, static_cast<char>(s.size())) + s; };
  std::string imports = "\x03"s + name("wasi_unstable") + name("a") + "\x00\x00"s + name("wasi_snapshot_preview1") +
                        name("b") + "\x00\x00"s + name("wasi_unstable") + name("c") + "\x00\x00"s;
  std::string exports =
      "\x02"s + name("proxy_abi_version_0_3_0") + "\x00\x00"s + name("proxy_abi_version_0_2_0") + "\x00\x01"s;
  std::string m = "\0asm\x01\0\0\0"s + "\x02"s + static_cast<char>(imports.size()) + imports + "\x07"s +
                  static_cast<char>(exports.size()) + exports;
  const auto info = read_module(m);
  CHECK(info.abi == ProxyAbi::v0_2_0);
  CHECK(info.abi_version_exports == std::vector<std::string>{"proxy_abi_version_0_3_0", "proxy_abi_version_0_2_0"});
  CHECK(info.wasi_modules == std::vector<std::string>{"wasi_snapshot_preview1", "wasi_unstable"});
}
