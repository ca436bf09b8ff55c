// wasme __commands (hidden): the command tree as JSON, read from the same CLI11 apps as --help,
// the completion scripts and the man page, so a test can check that each names every command
// and flag.
#include "cli/command.hpp"
#include "cli/docgen.hpp"
#include "cli/output.hpp"

namespace wasme::cli {
namespace {

void setup(CLI::App& app, GlobalOptions&) {
  app.group("");  // for tests and tools, not in --help
  app.callback([&app] { print_json(to_json(describe_commands(root_of(app)))); });
}

const Registration registration{{"__commands", "The command tree as JSON (for tests)", &setup}};

}  // namespace
}  // namespace wasme::cli
