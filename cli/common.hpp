#pragma once
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "cli/command.hpp"
#include "wasme/oci/artifact.hpp"
#include "wasme/registry/options.hpp"
#include "wasme/store/store.hpp"

namespace wasme::cli {

// --store DIR, for every command that reads or writes the local store.
struct StoreOption {
  std::string dir;
  store::Store open() const;
};
void add_store_option(CLI::App& app, StoreOption& option);

// --plain-http, --insecure, --ca-file, -u, -p, --password-stdin, -c/--credentials.
struct RegistryFlags {
  registry::RemoteOptions options;
  std::string username;
  std::string password;
  bool password_stdin = false;
  std::vector<std::string> credential_files;
  std::string ca_file;
  // Resolves the flags into options (reads stdin for --password-stdin, warns about -p).
  registry::RemoteOptions resolve() const;
};
void add_registry_flags(CLI::App& app, RegistryFlags& flags);

// --format wasme|compat|cncf: the layout written (image/convert.hpp), lowercased into format
// ("" when not given).
void add_format_option(CLI::App& app, std::string& format, const std::string& help);
// What build stores for a --format value: "" is wasme.
oci::ArtifactFormat stored_format(const std::string& format);

// An observer that logs to stderr when -v was given and draws progress on a TTY.
registry::Observer make_observer(const GlobalOptions& globals);

}  // namespace wasme::cli
