#include "wasme/build/assemblyscript.hpp"

#include <nlohmann/json.hpp>

#include "wasme/build/steps.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/core/fs.hpp"

namespace wasme::build {
namespace {

constexpr const char* kInstallNode = "install Node.js and npm (Debian: apt-get install nodejs npm)";

void check_project(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw Error(ErrorKind::not_found, "directory " + dir.string() + " does not exist");
  if (!is_assemblyscript_project(dir)) {
    throw Error(ErrorKind::invalid_input,
                dir.string() + " is not an AssemblyScript project (no package.json depending on assemblyscript)",
                "create one with `wasme init DIR --language assemblyscript`");
  }
}

// node_modules is current when npm's own record of it (node_modules/.package-lock.json,
// written by npm 7+) is at least as new as package-lock.json and package.json.
bool install_needed(const fs::path& dir) {
  std::error_code ec;
  fs::path record = dir / "node_modules" / ".package-lock.json";
  if (!fs::exists(record, ec)) return true;
  auto installed = fs::last_write_time(record, ec);
  for (const char* input : {"package-lock.json", "package.json"}) {
    if (fs::exists(dir / input, ec) && fs::last_write_time(dir / input, ec) > installed) return true;
  }
  return !fs::exists(dir / "node_modules" / ".bin" / "asc", ec);
}

ProcessResult run_tool(ProcessRunner& runner, const std::vector<std::string>& argv, const fs::path& cwd) {
  ProcessRequest run;
  run.argv = argv;
  run.cwd = cwd;
  run.out = OutputMode::to_stderr;  // our stdout carries only the result
  run.err = OutputMode::inherit;
  try {
    return runner.run(run);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found)
      throw Error(ErrorKind::not_found, argv[0] + " is not installed", kInstallNode);
    throw;
  }
}

void install(const fs::path& dir, ProcessRunner& runner, const Log& log) {
  std::error_code ec;
  const bool locked = fs::exists(dir / "package-lock.json", ec);
  // ci installs exactly the lock; without one, install writes it.
  std::vector<std::string> argv{"npm", locked ? "ci" : "install", "--no-audit", "--no-fund"};
  log("running: " + shell_quote(argv) + " (in " + dir.string() + ")");
  ProcessResult result = run_tool(runner, argv, dir);
  if (!result.ok()) {
    throw Error(ErrorKind::external, shell_quote(argv) + " failed: " + result.describe(),
                "npm's messages are above (it needs the npm registry, or a cache that has the packages)")
        .with_exit_status(exit_status_of(result));
  }
}

}  // namespace

bool is_assemblyscript_project(const fs::path& dir) {
  std::error_code ec;
  fs::path manifest = dir / "package.json";
  if (!fs::is_regular_file(manifest, ec)) return false;
  nlohmann::json j =
      parse_json_limited<nlohmann::json>(read_file(manifest, 1u << 20), manifest.string(), {64, 1u << 20});
  if (!j.is_object()) return false;
  for (const char* section : {"dependencies", "devDependencies"}) {
    if (j.contains(section) && j[section].is_object() && j[section].contains("assemblyscript")) return true;
  }
  return false;
}

AsBuildResult build_assemblyscript(store::Store& store, const AsBuildRequest& request, ProcessRunner& runner,
                                   const Log& log) {
  return with_context("building " + request.source_dir.string(), [&] {
    check_project(request.source_dir);
    check_relative_path(request.entry, "--entry", "the project");
    check_relative_path(request.output, "--asc-output", "the project");
    if (!fs::is_regular_file(request.source_dir / request.entry)) {
      throw Error(ErrorKind::not_found, request.entry + " does not exist in " + request.source_dir.string(),
                  "name the filter's entry file with --entry");
    }
    std::optional<fs::path> config = resolve_config(request.source_dir, request.config_file);

    AsBuildResult result;
    if (install_needed(request.source_dir)) {
      install(request.source_dir, runner, log);
      result.installed = true;
    }
    fs::path asc = request.source_dir / "node_modules" / ".bin" / "asc";
    if (!fs::exists(asc)) {
      throw Error(ErrorKind::not_found, "node_modules/.bin/asc is missing after npm installed the project",
                  "add assemblyscript to the project's devDependencies");
    }
    fs::create_directories(request.source_dir / fs::path(request.output).parent_path());
    fs::path output = request.source_dir / request.output;
    std::error_code ec;
    fs::remove(output, ec);  // a failed compile must not leave the previous module to be stored
    // Run through node explicitly: asc is a node script, and a missing node says so.
    result.command = {"node",  fs::absolute(asc).string(), request.entry, "-b", request.output,
                      "--use", "abort=abort_proc_exit",    "--optimize"};
    result.command.insert(result.command.end(), request.asc_options.begin(), request.asc_options.end());
    log("running: " + shell_quote(result.command) + " (in " + request.source_dir.string() + ")");
    ProcessResult compiled = run_tool(runner, result.command, request.source_dir);
    if (!compiled.ok()) {
      throw Error(ErrorKind::external, "asc " + request.entry + " failed: " + compiled.describe(),
                  "the compiler's messages are above; fix the code and run again")
          .with_exit_status(exit_status_of(compiled));
    }
    if (!fs::is_regular_file(output)) {
      throw Error(ErrorKind::not_found, "asc succeeded but wrote no " + request.output);
    }
    result.module_file = output;
    check_proxy_wasm(output, "asc", "export the proxy-wasm callbacks: export * from \"@solo-io/proxy-runtime/proxy\"");
    image::PackageRequest package;
    package.wasm_file = output;
    package.reference = request.reference;
    package.config_file = config;
    package.format = request.format;
    result.package = image::package_module(store, package);
    return result;
  });
}

}  // namespace wasme::build
