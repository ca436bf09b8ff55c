// wasme completion bash|zsh|fish: the shell's completion script, generated from the command
// table (the build installs the same scripts; see cmake/Install.cmake).
#include <iostream>

#include "cli/command.hpp"
#include "cli/completion.hpp"
#include "cli/output.hpp"

namespace wasme::cli {
namespace {

Shell shell_named(const std::string& name) {
  const std::string lower = CLI::detail::to_lower(name);  // one_of accepts any case
  if (lower == "zsh") return Shell::zsh;
  if (lower == "fish") return Shell::fish;
  return Shell::bash;
}

void setup(CLI::App& app, GlobalOptions&) {
  auto shell = std::make_shared<std::string>();
  app.add_option("SHELL", *shell, "bash, zsh or fish")->required()->transform(one_of({"bash", "zsh", "fish"}));
  app.footer(
      "Load it now with `source <(wasme completion bash)` (zsh: the same after compinit;\n"
      "fish: `wasme completion fish | source`). Packages install it where each shell looks.");
  app.callback([&app, shell] { std::cout << completion_script(shell_named(*shell), describe_commands(root_of(app))); });
}

const Registration registration{{"completion", "Print the shell completion script for bash, zsh or fish", &setup}};

}  // namespace
}  // namespace wasme::cli
