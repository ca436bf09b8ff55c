#pragma once
#include <filesystem>
#include <string>

#include "wasme/registry/options.hpp"

namespace wasme::registry {

struct LoginResult {
  std::string registry;        // normalized: "docker.io", "ghcr.io", "127.0.0.1:5000"
  std::filesystem::path file;  // where the credentials were saved
};

// `wasme login`: checks options.username/password against server's GET /v2/ and, when the
// registry accepts them, merges them into $WASME_HOME/credentials.json (mode 0600).
// server may be a host[:port] or a URL; "" means Docker Hub.
LoginResult login(const std::string& server, const RemoteOptions& options, const Observer& observer);

// `wasme logout`: removes server's entry; Error(not_found) when there is none.
LoginResult logout(const std::string& server);

}  // namespace wasme::registry
