#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wasme::build {

// The Bazel executable `build cpp` runs, and how it was found (for logs and errors).
struct BazelTool {
  std::filesystem::path path;
  std::string found_by;  // "--bazel", "WASME_BAZEL", "bazelisk on PATH", "bazel on PATH"
};

// Finds the build tool: explicit (the --bazel flag), then $WASME_BAZEL, then bazelisk, then
// bazel on PATH. A name without '/' is looked up on PATH. Throws Error(not_found) saying
// how to install Bazel when there is none, or which setting points at nothing.
BazelTool find_bazel(const std::optional<std::filesystem::path>& explicit_path);

// Startup options (before the command, e.g. --output_user_root=DIR) from
// $WASME_BAZEL_STARTUP_OPTS, split on whitespace; for CI and wrappers that cannot add flags.
std::vector<std::string> startup_options_from_env();

// bazel [startup options] <command> [arguments], e.g. command "build" with {":filter.wasm",
// "--spawn_strategy=local"}.
std::vector<std::string> bazel_command(const BazelTool& tool, const std::vector<std::string>& startup,
                                       const std::string& command, const std::vector<std::string>& arguments);

}  // namespace wasme::build
