// The file `wasme login` writes and `wasme logout` edits: docker config format, merged.
#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/registry/base64.hpp"
#include "wasme/registry/credentials.hpp"

namespace wasme::registry {
namespace {

using nlohmann::json;

json read_or_empty(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return json::object();
  json doc = parse_json_limited<json>(read_file(file, 4u << 20), file.string(), {32, 4u << 20});
  if (doc.is_discarded() || !doc.is_object()) {
    throw Error(ErrorKind::invalid_input, "reading " + file.string() + ": not a JSON object; refusing to overwrite it",
                "fix or remove the file");
  }
  if (!doc.contains("auths") || !doc["auths"].is_object()) doc["auths"] = json::object();
  return doc;
}

// Removes every auths key that names registry; returns how many went.
int erase_entries(json& doc, const std::string& registry) {
  std::vector<std::string> doomed;
  for (auto it = doc["auths"].begin(); it != doc["auths"].end(); ++it) {
    if (normalize_registry(it.key()) == registry) doomed.push_back(it.key());
  }
  for (const auto& key : doomed) doc["auths"].erase(key);
  return static_cast<int>(doomed.size());
}

void write_private(const std::filesystem::path& file, const json& doc) {
  std::filesystem::create_directories(file.parent_path());
  write_file_atomic(file, doc.dump(2) + "\n", 0600);
}

}  // namespace

std::filesystem::path login_file() { return wasme_home() / "credentials.json"; }

void save_login(const std::string& registry, const std::string& username, const std::string& password) {
  std::filesystem::path file = login_file();
  std::string normalized = normalize_registry(registry);
  with_context("saving credentials to " + file.string(), [&] {
    json doc = read_or_empty(file);
    erase_entries(doc, normalized);
    doc["auths"][docker_config_key(normalized)] = {{"auth", base64_encode(username + ":" + password)}};
    write_private(file, doc);
  });
}

bool remove_login(const std::string& registry) {
  std::filesystem::path file = login_file();
  return with_context("removing credentials from " + file.string(), [&] {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return false;
    json doc = read_or_empty(file);
    if (erase_entries(doc, normalize_registry(registry)) == 0) return false;
    write_private(file, doc);
    return true;
  });
}

}  // namespace wasme::registry
