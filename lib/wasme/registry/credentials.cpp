#include "wasme/registry/credentials.hpp"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/registry/base64.hpp"
#include "wasme/registry/json_util.hpp"

namespace wasme::registry {
namespace {

using nlohmann::json;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::optional<std::filesystem::path> env_path(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  return std::filesystem::path(value);
}

json read_config(const std::filesystem::path& file) {
  std::string text = read_file(file, 4u << 20);
  json doc = parse_json_limited<json>(text, "the Docker config", {32, 4u << 20});
  if (doc.is_discarded() || !doc.is_object()) {
    throw Error(ErrorKind::invalid_input, "reading credentials " + file.string() + ": not a JSON object",
                "fix or remove the file");
  }
  return doc;
}

// The credential an auths entry holds, or nullopt for an empty placeholder entry.
std::optional<Credential> from_auth_entry(const json& entry, const std::filesystem::path& file,
                                          const std::string& key) {
  if (!entry.is_object()) return std::nullopt;
  Credential cred;
  cred.source = file.string();
  if (std::string auth = string_at(entry, "auth"); !auth.empty()) {
    auto decoded = base64_decode(auth);
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      throw Error(
          ErrorKind::invalid_input,
          "reading credentials " + file.string() + ": the \"auth\" of \"" + key + "\" is not base64 of user:password",
          "log in again with `wasme login`");
    }
    cred.username = decoded->substr(0, colon);
    cred.password = decoded->substr(colon + 1);
  } else {
    cred.username = string_at(entry, "username");
    cred.password = string_at(entry, "password");
  }
  cred.identity_token = string_at(entry, "identitytoken");
  cred.registry_token = string_at(entry, "registrytoken");
  bool empty =
      cred.username.empty() && cred.password.empty() && cred.identity_token.empty() && cred.registry_token.empty();
  if (empty) return std::nullopt;
  return cred;
}

// The value in object whose key normalizes to registry, with its key.
const json* find_by_registry(const json& object, const std::string& registry, std::string* key) {
  if (!object.is_object()) return nullptr;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (normalize_registry(it.key()) == registry) {
      if (key) *key = it.key();
      return &it.value();
    }
  }
  return nullptr;
}

}  // namespace

std::string normalize_registry(std::string_view key_or_url) {
  std::string text = lower(key_or_url);
  if (auto scheme = text.find("://"); scheme != std::string::npos) text = text.substr(scheme + 3);
  text = text.substr(0, text.find('/'));
  if (text == "index.docker.io" || text == "registry-1.docker.io" || text == "docker.io") {
    return "docker.io";
  }
  return text;
}

std::string docker_config_key(const std::string& registry) {
  std::string normalized = normalize_registry(registry);
  return normalized == "docker.io" ? "https://index.docker.io/v1/" : normalized;
}

std::optional<Credential> run_credential_helper(const std::string& helper, const std::string& server_url,
                                                ProcessRunner& runner) {
  ProcessRequest request;
  request.argv = {"docker-credential-" + helper, "get"};
  request.input = server_url;
  request.timeout = std::chrono::seconds(60);
  std::string what = "running " + request.argv[0] + " get for " + server_url;
  ProcessResult result;
  try {
    result = runner.run(request);
  } catch (const Error& e) {
    throw Error(ErrorKind::auth, what + ": " + e.what(),
                "install the helper, or remove it from credsStore/credHelpers in your docker config");
  }
  if (!result.ok()) {
    if (lower(result.out + result.err).find("credentials not found") != std::string::npos) {
      return std::nullopt;
    }
    // Helpers report errors on stdout, but a broken one could print its answer there and
    // still fail: stdout is shown only when it cannot be an answer (no JSON, no "Secret").
    std::string tail = result.err;
    bool may_hold_secret =
        result.out.find('{') != std::string::npos || lower(result.out).find("secret") != std::string::npos;
    if (tail.empty() && !may_hold_secret) tail = result.out;
    if (tail.empty()) tail = "(its output is not shown: it may hold the secret)";
    throw Error(ErrorKind::auth, what + ": " + result.describe() + ": " + tail.substr(0, 300));
  }
  json doc = parse_json_limited<json>(result.out, "the credential helper's answer", {8, 1u << 20});
  if (doc.is_discarded() || !doc.is_object()) {
    throw Error(ErrorKind::auth, what + ": the helper did not answer with a JSON object");
  }
  Credential cred;
  cred.source = request.argv[0];
  std::string username = string_at(doc, "Username");
  std::string secret = string_at(doc, "Secret");
  if (username == "<token>") {
    cred.identity_token = secret;
  } else {
    cred.username = username;
    cred.password = secret;
  }
  if (cred.username.empty() && cred.password.empty() && cred.identity_token.empty()) return std::nullopt;
  return cred;
}

std::optional<Credential> lookup_config_file(const std::filesystem::path& file, const std::string& registry,
                                             ProcessRunner& runner) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::nullopt;
  json doc = read_config(file);
  std::string wanted = normalize_registry(registry);
  std::string server_url = docker_config_key(wanted);
  const json helpers = doc.value("credHelpers", json::object());
  const json entries = doc.value("auths", json::object());
  if (const json* helper = find_by_registry(helpers, wanted, nullptr); helper && helper->is_string()) {
    return run_credential_helper(*helper->get_ptr<const std::string*>(), server_url, runner);
  }
  if (std::string store = string_at(doc, "credsStore"); !store.empty()) {
    if (auto cred = run_credential_helper(store, server_url, runner)) return cred;
  }
  std::string key;
  if (const json* entry = find_by_registry(entries, wanted, &key)) {
    return from_auth_entry(*entry, file, key);
  }
  return std::nullopt;
}

std::optional<Credential> find_credential(const std::string& registry, const RemoteOptions& options,
                                          ProcessRunner& runner) {
  if (options.username) {
    if (!options.password) {
      throw Error(ErrorKind::usage, "-u was given without a password", "add -p PASSWORD or --password-stdin");
    }
    return Credential{*options.username, *options.password, "", "", "-u/-p"};
  }
  for (const auto& file : options.credential_files) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      throw Error(ErrorKind::not_found, "credentials file " + file.string() + " does not exist");
    }
    if (auto cred = lookup_config_file(file, registry, runner)) return cred;
  }
  std::vector<std::filesystem::path> defaults{login_file()};
  auto docker_dir = env_path("DOCKER_CONFIG");
  defaults.push_back(docker_dir ? *docker_dir / "config.json" : home_dir() / ".docker/config.json");
  if (auto auth_file = env_path("REGISTRY_AUTH_FILE")) {
    defaults.push_back(*auth_file);
  } else {
    // podman writes $XDG_RUNTIME_DIR/containers/auth.json and also reads this one (where
    // XDG_RUNTIME_DIR is unset: root, containers).
    if (auto runtime = env_path("XDG_RUNTIME_DIR")) defaults.push_back(*runtime / "containers/auth.json");
    defaults.push_back(home_dir() / ".config/containers/auth.json");
  }
  for (const auto& file : defaults) {
    if (auto cred = lookup_config_file(file, registry, runner)) return cred;
  }
  return std::nullopt;
}

}  // namespace wasme::registry
