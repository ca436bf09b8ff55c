#include "cli/common.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <mutex>

#include "cli/output.hpp"
#include "wasme/core/clock.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/progress.hpp"

namespace wasme::cli {

store::Store StoreOption::open() const {
  store::Store store(dir.empty() ? store::Store::default_root() : std::filesystem::path(dir));
  store.sweep_interrupted();  // what a killed run left behind
  return store;
}

void add_store_option(CLI::App& app, StoreOption& option) {
  app.add_option("--store", option.dir, "Local image store (default $WASME_HOME/store, ~/.wasme/store)");
}

void add_registry_flags(CLI::App& app, RegistryFlags& flags) {
  app.add_flag("--plain-http", flags.options.plain_http, "Talk HTTP, not HTTPS, to the registry");
  app.add_flag("--insecure", flags.options.insecure,
               "Skip TLS certificate verification (the connection is still encrypted)");
  app.add_option("--ca-file", flags.ca_file, "Trust this CA bundle (PEM) for the registry's TLS");
  app.add_option("-u,--username", flags.username, "Registry user name");
  app.add_option("-p,--password", flags.password,
                 "Registry password (visible to other users of this machine; prefer --password-stdin)");
  app.add_flag("--password-stdin", flags.password_stdin, "Read the password from standard input");
  app.add_option("-c,--credentials", flags.credential_files,
                 "Docker-config-format credentials file (repeatable; tried before the defaults)")
      ->allow_extra_args(false);  // one file per -c, so `-c f.json REF` keeps REF positional
}

registry::RemoteOptions RegistryFlags::resolve() const {
  registry::RemoteOptions out = options;
  if (!ca_file.empty()) out.ca_file = ca_file;
  for (const auto& f : credential_files) out.credential_files.emplace_back(f);
  if (password_stdin && !password.empty()) {
    throw Error(ErrorKind::usage, "--password and --password-stdin are mutually exclusive");
  }
  if (!username.empty()) out.username = username;
  if (password_stdin) {
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      throw Error(ErrorKind::usage, "--password-stdin read an empty password",
                  "pipe the password (or token) in: echo \"$TOKEN\" | wasme ... --password-stdin");
    }
    out.password = line;
  } else if (!password.empty()) {
    warn("using --password on the command line is insecure; use --password-stdin");
    out.password = password;
  }
  if (out.password && !out.username) {
    throw Error(ErrorKind::usage, "a password was given without a user name", "add -u USER");
  }
  return out;
}

namespace {

// The terminal's width in columns (80 when it will not say).
std::size_t terminal_width() {
  struct winsize size {};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

// The progress line on stderr, shared by the observer's progress and log: a log line first
// clears the progress line, which the next progress update draws again.
struct TerminalProgress {
  std::mutex mutex;
  ProgressLine line;
};

}  // namespace

registry::Observer make_observer(const GlobalOptions& globals) {
  registry::Observer observer;
  // Only a terminal gets a progress line: nothing of it reaches a pipe or a file.
  auto terminal = ::isatty(STDERR_FILENO) ? std::make_shared<TerminalProgress>() : nullptr;
  if (globals.verbosity > 0) {
    observer.log = [terminal](std::string_view line) {
      std::unique_lock<std::mutex> lock;
      if (terminal) lock = std::unique_lock(terminal->mutex);
      std::cerr << (terminal ? terminal->line.finish() : "") << line << "\n";
    };
  }
  if (terminal) {
    observer.progress = [terminal](std::string_view what, std::uint64_t done, std::uint64_t total) {
      std::lock_guard lock(terminal->mutex);
      std::cerr << terminal->line.update(what, done, total, system_clock().now(), terminal_width()) << std::flush;
    };
  }
  return observer;
}

oci::ArtifactFormat stored_format(const std::string& format) {
  return format.empty() ? oci::ArtifactFormat::wasme
                        : oci::format_from_string(format).value_or(oci::ArtifactFormat::wasme);
}

void add_format_option(CLI::App& app, std::string& format, const std::string& help) {
  app.add_option("--format", format, help)
      ->transform([](std::string value) { return CLI::detail::to_lower(value); })
      ->transform(one_of({"wasme", "compat", "cncf"}));
}

}  // namespace wasme::cli
