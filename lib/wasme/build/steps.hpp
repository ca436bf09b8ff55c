#pragma once
// The steps every language's build shares: the runtime config found and checked before a long
// compile, the compiler's output path kept inside the project, the exit status of a failed
// tool, and the check that what was built is a proxy-wasm filter.
#include <filesystem>
#include <optional>
#include <string>

#include "wasme/core/process.hpp"

namespace wasme::build {

// The explicit config, else source_dir/runtime-config.json when present; parsed now so a bad
// config fails before the build.
std::optional<std::filesystem::path> resolve_config(const std::filesystem::path& source_dir,
                                                    const std::optional<std::filesystem::path>& explicit_config);

// A relative path that stays under its base (no "..", not absolute); throws Error(usage)
// naming the flag.
void check_relative_path(const std::string& path, const std::string& flag, const std::string& base);

// The status to exit with when a tool failed: its own, or 128+signal.
int exit_status_of(const ProcessResult& result);

// Throws unless the file is a wasm module exporting proxy-wasm callbacks.
void check_proxy_wasm(const std::filesystem::path& module_file, const std::string& built_by, const std::string& hint);

}  // namespace wasme::build
