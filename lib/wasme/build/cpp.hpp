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

// `wasme build cpp`: a Bazel workspace to build and the image to store the result as.
struct CppBuildRequest {
  std::filesystem::path source_dir;
  oci::Reference reference;
  std::optional<std::filesystem::path> bazel;  // else WASME_BAZEL, bazelisk, bazel
  std::vector<std::string> startup_options;    // after those of WASME_BAZEL_STARTUP_OPTS
  std::string target = ":filter.wasm";
  std::string output = "filter.wasm";  // the file the target writes, under bazel-bin/
  std::vector<std::string> bazel_options;
  // runtime-config.json; default: the one in source_dir, when there is one.
  std::optional<std::filesystem::path> config_file;
  oci::ArtifactFormat format = oci::ArtifactFormat::wasme;  // the layout stored (--format)
};

struct CppBuildResult {
  image::PackageResult package;
  std::filesystem::path module_file;  // what Bazel built
  std::vector<std::string> command;   // the bazel build command line that ran
  std::string bazel_found_by;
};

// Runs `bazel build TARGET` in source_dir with Bazel's output on our stderr, finds the
// output under bazel-bin/, checks it is a proxy-wasm module and stores it as an image with
// its runtime config (package_module warns when the module's ABI disagrees with it).
// A failed build throws Error(external) carrying Bazel's exit status. Inputs that can be
// checked without building (directory, config, output path, Bazel itself) are checked first.
// log gets progress lines for the user ("running: bazel build :filter.wasm").
CppBuildResult build_cpp(store::Store& store, const CppBuildRequest& request,
                         ProcessRunner& runner = system_process_runner(), const Log& log = {});

}  // namespace wasme::build
