// Reading secrets from the terminal: hidden input that survives Ctrl-C, and key passwords.
#include "cli/prompt.hpp"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "wasme/core/error.hpp"

namespace wasme::cli {
namespace {

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

}  // namespace

// Reads a line from the terminal without echoing it. Echo goes off before the prompt shows,
// so nothing typed after the prompt appears, and comes back even after Ctrl-C. Signals the
// shell ignored (nohup, background jobs) stay ignored.
std::string prompt_hidden(const std::string& prompt, const std::string& hint) {
  if (::tcgetattr(STDIN_FILENO, &saved_terminal) != 0) {
    throw Error(ErrorKind::usage, "cannot turn off echo on this terminal to read a password", hint);
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
    throw Error(ErrorKind::usage, "cannot turn off echo on this terminal to read a password", hint);
  }
  std::cerr << prompt << std::flush;
  std::string line;
  std::getline(std::cin, line);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
  restore_signal_actions();
  std::cerr << "\n";
  return line;
}

std::string key_password(KeyPassword purpose) {
  // As cosign: COSIGN_PASSWORD when set (even empty), else ask on the terminal.
  if (const char* env = std::getenv("COSIGN_PASSWORD")) return env;
  if (!::isatty(STDIN_FILENO)) {
    throw Error(ErrorKind::usage, "the key's password is needed and there is no terminal to ask on",
                "set COSIGN_PASSWORD");
  }
  const char* hint = "set COSIGN_PASSWORD";
  std::string password = prompt_hidden("Enter password for private key: ", hint);
  if (purpose == KeyPassword::new_key && prompt_hidden("Enter password for private key again: ", hint) != password) {
    throw Error(ErrorKind::usage, "the two passwords differ; nothing was written");
  }
  return password;
}

}  // namespace wasme::cli
