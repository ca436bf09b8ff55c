#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wasme/core/log.hpp"
#include "wasme/core/process.hpp"
#include "wasme/image/package.hpp"
#include "wasme/oci/reference.hpp"
#include "wasme/store/store.hpp"

namespace wasme::build {

// `wasme build assemblyscript`: an npm project using AssemblyScript (@solo-io/proxy-runtime).
struct AsBuildRequest {
  std::filesystem::path source_dir;
  oci::Reference reference;
  std::string entry = "assembly/index.ts";   // relative to source_dir
  std::string output = "build/filter.wasm";  // relative to source_dir
  std::vector<std::string> asc_options;      // after --use abort=abort_proc_exit --optimize
  // runtime-config.json; default: the one in source_dir, when there is one.
  std::optional<std::filesystem::path> config_file;
  oci::ArtifactFormat format = oci::ArtifactFormat::wasme;  // the layout stored (--format)
};

struct AsBuildResult {
  image::PackageResult package;
  std::filesystem::path module_file;
  std::vector<std::string> command;  // the asc command line that ran
  bool installed = false;            // npm ci (or install) ran first
};

// Runs `npm ci` when node_modules is missing or older than package-lock.json (`npm install`
// when there is no lock), then the project's AssemblyScript compiler with proxy-runtime's flags
// (--use abort=abort_proc_exit --optimize), npm's and asc's output on our stderr; checks the
// output is a proxy-wasm module and stores it with the project's runtime config. A failed
// compile throws Error(external) with asc's exit status; missing node or npm says what to install.
// log gets progress lines for the user ("running: npm ci").
AsBuildResult build_assemblyscript(store::Store& store, const AsBuildRequest& request,
                                   ProcessRunner& runner = system_process_runner(), const Log& log = {});

// Whether a directory holds an AssemblyScript project (package.json naming assemblyscript).
bool is_assemblyscript_project(const std::filesystem::path& dir);

}  // namespace wasme::build
