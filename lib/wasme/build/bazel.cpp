#include "wasme/build/bazel.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "wasme/core/error.hpp"
#include "wasme/core/process.hpp"

namespace wasme::build {
namespace {

const char* install_hint =
    "install Bazel: `apt-get install bazel-bootstrap` (Debian, Ubuntu) or bazelisk from "
    "https://github.com/bazelbuild/bazelisk/releases; or point --bazel or WASME_BAZEL at it";

// The executable a setting names: a path (must be an executable file) or a name on PATH.
std::filesystem::path resolve(const std::string& value, const std::string& setting) {
  if (value.find('/') != std::string::npos) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(value, ec) && ::access(value.c_str(), X_OK) == 0) return value;
    throw Error(ErrorKind::not_found, setting + " names " + value + ", which is not an executable file", install_hint);
  }
  if (auto found = find_executable(value)) return *found;
  throw Error(ErrorKind::not_found, setting + " names " + value + ", which is not on PATH", install_hint);
}

}  // namespace

BazelTool find_bazel(const std::optional<std::filesystem::path>& explicit_path) {
  if (explicit_path && !explicit_path->empty()) {
    return {resolve(explicit_path->string(), "--bazel"), "--bazel"};
  }
  if (const char* env = std::getenv("WASME_BAZEL"); env && *env) {
    return {resolve(env, "WASME_BAZEL"), "WASME_BAZEL"};
  }
  for (const char* name : {"bazelisk", "bazel"}) {
    if (auto found = find_executable(name)) return {*found, std::string(name) + " on PATH"};
  }
  throw Error(ErrorKind::not_found, "Bazel is not installed: neither bazelisk nor bazel is on PATH", install_hint);
}

std::vector<std::string> startup_options_from_env() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("WASME_BAZEL_STARTUP_OPTS")) {
    std::istringstream words(env);
    std::string word;
    while (words >> word) out.push_back(word);
  }
  return out;
}

std::vector<std::string> bazel_command(const BazelTool& tool, const std::vector<std::string>& startup,
                                       const std::string& command, const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{tool.path.string()};
  argv.insert(argv.end(), startup.begin(), startup.end());
  argv.push_back(command);
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return argv;
}

}  // namespace wasme::build
