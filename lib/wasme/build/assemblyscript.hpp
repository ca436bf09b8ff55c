#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/core/process.hpp"
#include "wasme/image/package.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/store/store.hpp"

namespace wasme::build {

// `wasme build assemblyscript`: an npm project using AssemblyScript (@solo-io/proxy-runtime).
struct AsBuildRequest {
  std::filesystem::path source_dir;
  oci::Reference reference;
  std::string entry = "assembly/index.ts";  // relative to source_dir
  std::string output = "build/filter.wasm";  // relative to source_dir
  std::vector<std::string> asc_options;      // after --use abort=abort_proc_exit --optimize
  // runtime-config.json; default: the one in source_dir, when there is one.
  std::optional<std::filesystem::path> config_file;
};

struct AsBuildResult {
  image::PackageResult package;
  std::filesystem::path module_file;
  std::vector<std::string> command;  // the asc command line that ran
  bool installed = false;            // npm ci (or install) ran first
};

// Progress lines for the user ("running: npm ci"); the library never prints.
using AsLogFn = std::function<void(std::string_view)>;

// Runs `npm ci` when node_modules is missing or older than package-lock.json (`npm install`
// when there is no lock), then the project's AssemblyScript compiler with proxy-runtime's flags
// (--use abort=abort_proc_exit --optimize), npm's and asc's output on our stderr; checks the
// output is a proxy-wasm module and stores it with the project's runtime config. A failed
// compile throws Error(external) with asc's exit status; missing node or npm says what to install.
AsBuildResult build_assemblyscript(store::Store& store, const AsBuildRequest& request,
                                   ProcessRunner& runner = system_process_runner(), const AsLogFn& log = {});

// Whether a directory holds an AssemblyScript project (package.json naming assemblyscript).
bool is_assemblyscript_project(const std::filesystem::path& dir);

}  // namespace wasme::build
