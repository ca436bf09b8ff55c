#include "wasme/registry/login.hpp"

#include "wasme/core/error.hpp"
#include "wasme/registry/credentials.hpp"
#include "wasme/registry/tags.hpp"

namespace wasme::registry {

LoginResult login(const std::string& server, const RemoteOptions& options, const Observer& observer) {
  std::string registry = normalize_registry(server.empty() ? "docker.io" : server);
  if (registry.empty()) throw Error(ErrorKind::usage, "no registry named in \"" + server + "\"");
  return with_context("logging in to " + registry, [&] {
    if (!options.username || options.username->empty()) {
      throw Error(ErrorKind::usage, "a user name is required", "pass -u USER");
    }
    if (!options.password) {
      throw Error(ErrorKind::usage, "a password is required", "pass --password-stdin or -p");
    }
    if (options.password->empty()) {
      throw Error(ErrorKind::usage, "the password is empty", "give the password (or token) on --password-stdin or -p");
    }
    check_login(registry, options, observer);
    save_login(registry, *options.username, *options.password);
    return LoginResult{registry, login_file()};
  });
}

LoginResult logout(const std::string& server) {
  std::string registry = normalize_registry(server);
  if (!remove_login(registry)) {
    throw Error(ErrorKind::not_found, "no credentials for " + registry + " in " + login_file().string());
  }
  return {registry, login_file()};
}

}  // namespace wasme::registry
