#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wasme::wasm {

enum class ExternalKind { function, table, memory, global, tag };
const char* to_string(ExternalKind kind);

struct Import {
  std::string module;
  std::string name;
  ExternalKind kind = ExternalKind::function;
};

struct Export {
  std::string name;
  ExternalKind kind = ExternalKind::function;
};

// The proxy-wasm ABI a module was built for, read from its exports.
enum class ProxyAbi {
  none,       // not a proxy-wasm module
  istio_1_4,  // camelCase proxy_onStart… callbacks, no version export (Istio 1.4's SDK)
  pre_0_1_0,  // snake_case proxy_on_* callbacks, no version export: early-2020 envoy-wasm
              // builds that no Istio release loads (1.4 wants camelCase, 1.5+ a version)
  v0_1_0,     // exports proxy_abi_version_0_1_0
  v0_2_0,     // exports proxy_abi_version_0_2_0
  v0_2_1,     // exports proxy_abi_version_0_2_1
};
// "v0.2.1", "v0.2.0", "v0.1.0", "istio-1.4 (unversioned)", "pre-0.1.0 (unversioned)", "none".
const char* to_string(ProxyAbi abi);
// The abiVersions entry recorded for this ABI when the user gives none ("v0.2.1" …);
// empty for none and for the unversioned shapes.
std::string runtime_abi_version(ProxyAbi abi);

struct ModuleInfo {
  std::uint32_t version = 0;  // binary format version (1)
  std::vector<Import> imports;
  std::vector<Export> exports;
  ProxyAbi abi = ProxyAbi::none;
  // Import modules starting with wasi_ (wasi_snapshot_preview1, wasi_unstable), deduplicated.
  std::vector<std::string> wasi_modules;
  // Every exported proxy_abi_version_* name, known or not: an unknown one (a newer ABI)
  // leaves abi at none, and callers can name it instead of saying "not proxy-wasm".
  std::vector<std::string> abi_version_exports;
};

// Field-wise equality (tests compare read_module with read_module_file).
bool operator==(const Import& a, const Import& b);
bool operator==(const Export& a, const Export& b);
bool operator==(const ModuleInfo& a, const ModuleInfo& b);

// True when bytes start with "\0asm".
bool has_wasm_magic(std::string_view bytes);

// Reads a module: checks magic and version, walks every section bounded by its declared
// size, lists imports and exports. Rejects what the binary format calls malformed in the
// parts it reads: unknown section ids, known sections repeated or out of order, custom
// sections without a valid name, counts the section cannot hold, bytes left over in a
// section, function and code (or data count and data) lengths that disagree. Type, import,
// function, memory, tag, export, start and data count sections are parsed to their last
// byte; of table, global, element, code and data only the leading count is checked, their
// entries hold expressions. Truncated or hostile input throws Error(invalid_input); it
// never reads out of bounds, and memory follows the bytes actually present, never a
// declared count or length.
ModuleInfo read_module(std::string_view bytes);
// Reads from a file; the name appears in errors ("reading f.wasm: …"). Only the header,
// section headers, the sections parsed whole and the first bytes of the others (custom
// section names, leading counts) are read: big modules stay cheap.
ModuleInfo read_module_file(const std::filesystem::path& path);

// Classifies the ABI from exported functions: the highest proxy_abi_version_* known; else,
// with no proxy_abi_version_* export, istio_1_4 for camelCase callbacks (proxy_onStart) and
// pre_0_1_0 for snake_case ones (proxy_on_start); else none.
ProxyAbi classify_abi(const std::vector<Export>& exports);

}  // namespace wasme::wasm
