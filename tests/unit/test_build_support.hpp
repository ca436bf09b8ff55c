#pragma once
// Helpers for the build tests: fake executables and a recording process runner that plays
// Bazel (environment overrides: test_support::ScopedEnv).
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wasme/core/process.hpp"

namespace build_test {

namespace fs = std::filesystem;

// An executable shell script at path (its content never matters: the fake runner runs nothing).
inline fs::path fake_tool(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << "#!/bin/sh\nexit 0\n";
  ::chmod(path.c_str(), 0755);
  return fs::absolute(path);
}

inline fs::path fixture(const std::string& name) {
  return fs::path(__FILE__).parent_path().parent_path() / "fixtures" / name;
}

// Plays Bazel: records every request; `build` copies build_output (if any) to
// <cwd>/bazel-bin/<output> and exits with build_status; `info` prints info_out.
class FakeBazel : public wasme::ProcessRunner {
 public:
  std::vector<wasme::ProcessRequest> requests;
  std::optional<fs::path> build_output;
  std::string output_name = "filter.wasm";
  int build_status = 0;
  std::string info_out;
  int info_status = 1;

  wasme::ProcessResult run(const wasme::ProcessRequest& request) override {
    requests.push_back(request);
    wasme::ProcessResult result;
    bool is_build = std::find(request.argv.begin(), request.argv.end(), "build") != request.argv.end();
    if (is_build) {
      result.exit_code = build_status;
      if (build_output && request.cwd) {
        fs::path dest = *request.cwd / "bazel-bin" / output_name;
        fs::create_directories(dest.parent_path());
        fs::copy_file(*build_output, dest, fs::copy_options::overwrite_existing);
      }
    } else {
      result.exit_code = info_status;
      result.out = info_out;
    }
    return result;
  }
};

}  // namespace build_test
