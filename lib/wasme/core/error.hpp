#pragma once
#include <stdexcept>
#include <string>

namespace wasme {

// What went wrong, so the CLI can choose an exit code and callers can react (e.g. retry).
enum class ErrorKind {
  usage,          // the command line itself is wrong (exit 2)
  invalid_input,  // a file, reference or value the user gave is malformed
  not_found,      // an image, blob, file or tag does not exist
  auth,           // credentials missing or refused
  network,        // connection, TLS, timeout
  integrity,      // a digest or size did not match
  io,             // local file system
  registry,       // the registry answered with an error
  external,       // a tool we run (bazel, kubectl, envoy) failed
};

// The one error type of the library. The message reads as a sentence fragment chain:
// `pushing "r/x:v1": uploading blob sha256:ab12…: unauthorized`.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, std::string hint = {});

  ErrorKind kind() const { return kind_; }
  // What the user can do about it; empty when there is nothing useful to say.
  const std::string& hint() const { return hint_; }
  // Exit status for a process that reports this error (set by external tools).
  int exit_status() const { return exit_status_; }
  Error& with_exit_status(int status);

 private:
  ErrorKind kind_;
  std::string hint_;
  int exit_status_ = 1;
};

// Runs f; an Error escaping it is rethrown as `context: message`, keeping kind and hint.
template <class F>
auto with_context(const std::string& context, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    Error wrapped(e.kind(), context + ": " + e.what(), e.hint());
    wrapped.with_exit_status(e.exit_status());
    throw wrapped;
  }
}

// Name of a kind for `-o json` error output and logs.
const char* to_string(ErrorKind kind);

}  // namespace wasme
