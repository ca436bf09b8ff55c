#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace wasme::cli {

// Options every command sees (set on the root command).
struct GlobalOptions {
  int verbosity = 0;  // -v, repeatable
  // A command that reported its own outcome (e.g. `wasme test` with failing cases) sets the
  // process's exit status here instead of throwing.
  int exit_status = 0;
};

// One subcommand: its path ("build precompiled"), a one-line summary, and a function that
// adds its flags to the CLI11 app and sets its callback.
struct Command {
  std::string path;
  std::string summary;
  std::function<void(CLI::App& app, GlobalOptions& globals)> setup;
};

// Every subcommand, registered by the static Registration in its file. The root app and
// its --help are built from this one table.
std::vector<Command>& command_table();

struct Registration {
  explicit Registration(Command command) { command_table().push_back(std::move(command)); }
};

}  // namespace wasme::cli
