#include "cli/common.hpp"

#include <unistd.h>

#include <iostream>

#include "cli/output.hpp"
#include "wasme/core/error.hpp"

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

registry::Observer make_observer(const GlobalOptions& globals) {
  registry::Observer observer;
  if (globals.verbosity > 0) {
    observer.log = [](std::string_view line) { std::cerr << line << "\n"; };
  }
  if (::isatty(STDERR_FILENO)) {
    observer.progress = [](std::string_view what, std::uint64_t done, std::uint64_t total) {
      if (total < (1u << 20)) return;
      int percent = total ? static_cast<int>(done * 100 / total) : 100;
      std::cerr << "\r" << what << " " << percent << "% (" << done / 1024 << "/" << total / 1024
                << " KiB)" << (done >= total ? "\n" : "") << std::flush;
    };
  }
  return observer;
}

}  // namespace wasme::cli
