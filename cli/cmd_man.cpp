// wasme man (hidden): the roff source of wasme(1), generated from the command table; the
// build writes it to share/man/man1/wasme.1 (cmake/Install.cmake). `man wasme` reads that.
#include <iostream>

#include "cli/command.hpp"
#include "cli/man_page.hpp"

namespace wasme::cli {
namespace {

void setup(CLI::App& app, GlobalOptions&) {
  app.group("");  // for the build; people read it with `man wasme`
  app.callback([&app] { std::cout << man_page(describe_commands(root_of(app))); });
}

const Registration registration{{"man", "Print the man page (roff)", &setup}};

}  // namespace
}  // namespace wasme::cli
