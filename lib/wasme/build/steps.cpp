#include "wasme/build/steps.hpp"

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/oci/runtime_config.hpp"
#include "wasme/wasm/module.hpp"

namespace wasme::build {

std::optional<fs::path> resolve_config(const fs::path& source_dir, const std::optional<fs::path>& explicit_config) {
  std::optional<fs::path> config = explicit_config;
  if (!config) {
    fs::path in_source = source_dir / "runtime-config.json";
    if (!fs::exists(in_source)) return std::nullopt;
    config = in_source;
  }
  oci::RuntimeConfig::parse(read_file(*config, 1u << 20), config->string());
  return config;
}

void check_relative_path(const std::string& path, const std::string& flag, const std::string& base) {
  fs::path p(path);
  bool escapes = path.empty() || p.is_absolute();
  for (const auto& part : p) escapes = escapes || part == "..";
  if (escapes) {
    throw Error(ErrorKind::usage, flag + " \"" + path + "\" must be a path under " + base,
                "e.g. filter.wasm or pkg/filter.wasm");
  }
}

int exit_status_of(const ProcessResult& result) {
  if (result.signal != 0) return 128 + result.signal;
  return result.exit_code != 0 ? result.exit_code : 1;
}

void check_proxy_wasm(const fs::path& module_file, const std::string& built_by, const std::string& hint) {
  wasm::ModuleInfo info =
      with_context("checking what " + built_by + " built", [&] { return wasm::read_module_file(module_file); });
  if (info.abi == wasm::ProxyAbi::none) {
    throw Error(ErrorKind::invalid_input,
                module_file.string() +
                    " is a wasm module but not a proxy-wasm filter: it exports "
                    "no proxy_on_* callbacks",
                hint);
  }
}

}  // namespace wasme::build
