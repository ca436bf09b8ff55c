// wasme login [SERVER] -u USER: check credentials against a registry and save them.
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "wasme/core/error.hpp"
#include "wasme/registry/login.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string server;
  RegistryFlags registry;
  OutputFormat output = OutputFormat::text;
};

// The terminal settings and signal actions to put back if the user interrupts the prompt.
termios saved_terminal{};
constexpr int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction saved_actions[3];

void restore_signal_actions() {
  for (int i = 0; i < 3; ++i) ::sigaction(prompt_signals[i], &saved_actions[i], nullptr);
}

// Async-signal-safe: tcsetattr, sigaction and raise only.
void restore_terminal_and_die(int signal) {
  ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
  restore_signal_actions();
  ::raise(signal);
}

// Reads a line from the terminal without echoing it. Echo goes off before the prompt shows,
// so nothing typed after the prompt appears, and comes back even after Ctrl-C. Signals the
// shell ignored (nohup, background jobs) stay ignored.
std::string prompt_hidden(const std::string& prompt) {
  if (::tcgetattr(STDIN_FILENO, &saved_terminal) != 0) {
    throw Error(ErrorKind::usage, "cannot turn off echo on this terminal to read a password",
                "pass --password-stdin");
  }
  struct sigaction restore {};
  restore.sa_handler = restore_terminal_and_die;
  sigemptyset(&restore.sa_mask);
  for (int i = 0; i < 3; ++i) {
    ::sigaction(prompt_signals[i], nullptr, &saved_actions[i]);
    if (saved_actions[i].sa_handler != SIG_IGN) ::sigaction(prompt_signals[i], &restore, nullptr);
  }
  termios no_echo = saved_terminal;
  no_echo.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  if (::tcsetattr(STDIN_FILENO, TCSANOW, &no_echo) != 0) {
    restore_signal_actions();
    throw Error(ErrorKind::usage, "cannot turn off echo on this terminal to read a password",
                "pass --password-stdin");
  }
  std::cerr << prompt << std::flush;
  std::string line;
  std::getline(std::cin, line);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
  restore_signal_actions();
  std::cerr << "\n";
  return line;
}

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
  if (!options.password && tty) options.password = prompt_hidden("Password: ");
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
