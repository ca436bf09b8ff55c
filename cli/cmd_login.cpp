// wasme login [SERVER] -u USER: check credentials against a registry and save them.
#include <unistd.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "cli/prompt.hpp"
#include "wasme/core/error.hpp"
#include "wasme/registry/login.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string server;
  RegistryFlags registry;
  OutputFormat output = OutputFormat::text;
};

// Asks for what the flags left out, when a person is there to answer.
void complete_from_terminal(registry::RemoteOptions& options) {
  bool tty = ::isatty(STDIN_FILENO);
  if (!options.username && tty) {
    std::cerr << "Username: " << std::flush;
    std::string user;
    std::getline(std::cin, user);
    if (!user.empty()) options.username = user;
  }
  if (!options.username) throw Error(ErrorKind::usage, "a user name is required", "pass -u USER");
  if (!options.password && tty) options.password = prompt_hidden("Password: ", "pass --password-stdin");
  if (!options.password) {
    throw Error(ErrorKind::usage, "a password is required", "pass --password-stdin (or -p)");
  }
}

void run(const Flags& flags, const GlobalOptions& globals) {
  registry::RemoteOptions options = flags.registry.resolve();
  complete_from_terminal(options);
  registry::LoginResult result = registry::login(flags.server, options, make_observer(globals));
  if (flags.output == OutputFormat::json) {
    return print_json({{"registry", result.registry}, {"credentialsFile", result.file.string()}});
  }
  std::cout << "login succeeded for " << result.registry << "; saved in " << result.file.string() << "\n";
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto flags = std::make_shared<Flags>();
  app.add_option("SERVER", flags->server, "Registry host[:port] (default docker.io)");
  add_registry_flags(app, flags->registry);
  add_output_option(app, flags->output);
  app.callback([flags, &globals] { run(*flags, globals); });
}

const Registration registration{{"login", "Check and save credentials for a registry", &setup}};

}  // namespace
}  // namespace wasme::cli
