#pragma once
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wasme {

// Where a child's output stream goes.
enum class OutputMode {
  capture,    // collected into ProcessResult
  inherit,    // shares our stream (the user sees it as it happens)
  to_stderr,  // stdout only: sent to our stderr, so tool chatter never pollutes our data
  discard,    // /dev/null
};

// One program to run. argv[0] without a '/' is looked up on PATH.
struct ProcessRequest {
  std::vector<std::string> argv;
  std::optional<std::string> input;  // written to stdin, then closed; none: /dev/null
  OutputMode out = OutputMode::capture;
  OutputMode err = OutputMode::capture;
  std::optional<std::filesystem::path> cwd;
  std::map<std::string, std::string> env;  // set on top of our environment
  std::vector<std::string> unset_env;      // removed from the child's environment
  // Killed (SIGKILL) when it runs longer; none: no limit.
  std::optional<std::chrono::milliseconds> timeout;
};

struct ProcessResult {
  int exit_code = 0;  // valid when signal == 0
  int signal = 0;     // the signal that ended the child, 0 when it exited
  bool timed_out = false;
  std::string out;  // captured stdout (OutputMode::capture)
  std::string err;  // captured stderr (OutputMode::capture)

  bool ok() const { return signal == 0 && exit_code == 0 && !timed_out; }
  // "exit status 3", "killed by signal 9", "timed out".
  std::string describe() const;
};

// Runs external programs (kubectl, bazel, envoy). An interface so library code that drives
// tools can be tested with a recording substitute.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs to completion. Throws Error(not_found) when the program does not exist,
  // Error(external) when it cannot be started; a non-zero exit is a result, not an error.
  virtual ProcessResult run(const ProcessRequest& request) = 0;
};

// The real thing: posix_spawn, poll-driven pipes (no deadlock on large output or input).
class SystemProcessRunner : public ProcessRunner {
 public:
  ProcessResult run(const ProcessRequest& request) override;
};

// The process-wide real runner.
ProcessRunner& system_process_runner();

// The first executable file called name in $PATH (or name itself when it holds a '/').
std::optional<std::filesystem::path> find_executable(std::string_view name);

// Throws Error(external) "<what>: `argv…` failed: exit status N: <stderr tail>" unless ok().
void check_process(const ProcessResult& result, const ProcessRequest& request, const std::string& what);

// argv as a shell-safe command line, for logs and "run this yourself" hints.
std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace wasme
