#include "wasme/build/cpp.hpp"

#include "wasme/build/bazel.hpp"
#include "wasme/build/steps.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"

namespace wasme::build {
namespace {

void check_workspace(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw Error(ErrorKind::not_found, "directory " + dir.string() + " does not exist");
  if (!fs::is_directory(dir, ec)) {
    throw Error(ErrorKind::invalid_input, dir.string() + " is not a directory", "give the filter's Bazel workspace");
  }
  for (const char* marker : {"WORKSPACE", "WORKSPACE.bazel", "MODULE.bazel"}) {
    if (fs::exists(dir / marker, ec)) return;
  }
  throw Error(ErrorKind::invalid_input, dir.string() + " is not a Bazel workspace (it has no WORKSPACE file)",
              "create a project with `wasme init DIR`, or give the directory holding WORKSPACE");
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// bazel-bin/<output> through the workspace's convenience symlink, else where `bazel info
// bazel-bin` says (the symlink can be disabled or renamed).
fs::path locate_output(const CppBuildRequest& request, const BazelTool& tool, const std::vector<std::string>& startup,
                       ProcessRunner& runner) {
  fs::path linked = request.source_dir / "bazel-bin" / request.output;
  if (fs::is_regular_file(linked)) return linked;
  std::vector<std::string> args = request.bazel_options;
  args.push_back("bazel-bin");
  ProcessRequest info;
  info.argv = bazel_command(tool, startup, "info", args);
  info.cwd = request.source_dir;
  ProcessResult result = runner.run(info);
  if (result.ok() && !trim(result.out).empty()) {
    fs::path reported = fs::path(trim(result.out)) / request.output;
    if (fs::is_regular_file(reported)) return reported;
  }
  throw Error(ErrorKind::not_found,
              "Bazel built " + request.target + " but bazel-bin/" + request.output + " does not exist",
              "name the file the target writes with --bazel-output (`bazel cquery --output=files " + request.target +
                  "` lists them)");
}

}  // namespace

CppBuildResult build_cpp(store::Store& store, const CppBuildRequest& request, ProcessRunner& runner, const Log& log) {
  return with_context("building " + request.source_dir.string(), [&] {
    check_workspace(request.source_dir);
    check_relative_path(request.output, "--bazel-output", "bazel-bin/");
    std::optional<fs::path> config = resolve_config(request.source_dir, request.config_file);
    BazelTool tool = find_bazel(request.bazel);
    std::vector<std::string> startup = startup_options_from_env();
    startup.insert(startup.end(), request.startup_options.begin(), request.startup_options.end());

    CppBuildResult result;
    result.bazel_found_by = tool.found_by;
    std::vector<std::string> args{request.target};
    args.insert(args.end(), request.bazel_options.begin(), request.bazel_options.end());
    result.command = bazel_command(tool, startup, "build", args);
    log("running: " + shell_quote(result.command) + " (in " + request.source_dir.string() + ")");

    ProcessRequest run;
    run.argv = result.command;
    run.cwd = request.source_dir;
    run.out = OutputMode::to_stderr;  // our stdout carries only the result
    run.err = OutputMode::inherit;
    ProcessResult built = runner.run(run);
    if (!built.ok()) {
      throw Error(ErrorKind::external, "bazel build " + request.target + " failed: " + built.describe(),
                  "Bazel's messages are above; fix the build and run again")
          .with_exit_status(exit_status_of(built));
    }

    result.module_file = locate_output(request, tool, startup, runner);
    check_proxy_wasm(result.module_file, "Bazel",
                     "build the filter target (--bazel-target) and name its output (--bazel-output)");
    image::PackageRequest package;
    package.wasm_file = result.module_file;
    package.reference = request.reference;
    package.config_file = config;
    package.format = request.format;
    result.package = image::package_module(store, package);
    return result;
  });
}

}  // namespace wasme::build
