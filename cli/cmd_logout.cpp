// wasme logout SERVER: forget the credentials `wasme login` saved for a registry.
#include <iostream>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "wasme/registry/login.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string server;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& flags) {
  registry::LoginResult result = registry::logout(flags.server);
  if (flags.output == OutputFormat::json) {
    return print_json({{"registry", result.registry}, {"credentialsFile", result.file.string()}});
  }
  std::cout << "removed the credentials for " << result.registry << " from " << result.file.string() << "\n";
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  app.add_option("SERVER", flags->server, "Registry host[:port]")->required();
  add_output_option(app, flags->output);
  app.callback([flags] { run(*flags); });
}

const Registration registration{{"logout", "Remove saved credentials for a registry", &setup}};

}  // namespace
}  // namespace wasme::cli
