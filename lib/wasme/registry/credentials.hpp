#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/core/process.hpp"
#include "wasme/registry/options.hpp"

namespace wasme::registry {

// What a user has for one registry: a user name and password, or a token.
struct Credential {
  std::string username;
  std::string password;
  std::string identity_token;  // a refresh token, traded for access tokens at the realm
  std::string registry_token;  // a bearer token sent as-is
  std::string source;          // where it was found, for -v logs ("-u/-p", a file, a helper)
};

// "docker.io" for Docker Hub's aliases (https://index.docker.io/v1/, index.docker.io,
// registry-1.docker.io); otherwise host[:port] without scheme or path, lowercase.
std::string normalize_registry(std::string_view key_or_url);

// The key docker writes for registry: https://index.docker.io/v1/ for Docker Hub, else host.
std::string docker_config_key(const std::string& registry);

// Looks registry up through the chain; the first match wins:
//   1. -u/-p (options.username/password)   2. -c files, in order
//   3. $WASME_HOME/credentials.json          4. $DOCKER_CONFIG/config.json or ~/.docker/config.json
//   5. $REGISTRY_AUTH_FILE or $XDG_RUNTIME_DIR/containers/auth.json (podman, skopeo)
// Within a file: credHelpers[host], then credsStore, then the auths entry. nullopt: anonymous.
std::optional<Credential> find_credential(const std::string& registry, const RemoteOptions& options,
                                          ProcessRunner& runner = system_process_runner());

// Reads one docker-config-format file; helpers it names run through runner. A missing
// file is no match; a malformed one throws Error(invalid_input) naming it.
std::optional<Credential> lookup_config_file(const std::filesystem::path& file, const std::string& registry,
                                             ProcessRunner& runner);

// Runs `docker-credential-<helper> get` with server_url on stdin; nullopt when the helper
// has nothing for it. A username of "<token>" makes the secret an identity token.
std::optional<Credential> run_credential_helper(const std::string& helper, const std::string& server_url,
                                                ProcessRunner& runner);

// The file `wasme login` writes: $WASME_HOME/credentials.json.
std::filesystem::path login_file();
// Merges registry's entry into login_file() (other entries kept), mode 0600, atomically.
void save_login(const std::string& registry, const std::string& username, const std::string& password);
// Removes every entry for registry from login_file(); false when there was none.
bool remove_login(const std::string& registry);

}  // namespace wasme::registry
