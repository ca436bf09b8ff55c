#include "wasme/oci/runtime_config.hpp"

#include "wasme/core/error.hpp"
#include "wasme/oci/json_fields.hpp"

namespace wasme::oci {

namespace {

using json_fields::json;
using json_fields::Presence;
using json_fields::Where;

constexpr std::uint64_t max_config_size = 1u << 20;

// One field under two spellings (camelCase, as written, and snake_case, as the original also
// read): the list under whichever is present, refusing both at once.
std::vector<std::string> get_either(const json& obj, const char* camel, const char* snake, const Where& where) {
  bool has_camel = obj.contains(camel);
  bool has_snake = obj.contains(snake);
  if (has_camel && has_snake) {
    where.fail(std::string("both \"") + camel + "\" and \"" + snake + "\" given; use one");
  }
  const char* key = has_snake ? snake : camel;
  auto it = obj.find(key);
  if (it == obj.end()) return {};
  return json_fields::as_string_list(*it, where.key(key));
}

void reject_unknown(const json& obj, std::initializer_list<const char*> allowed, const Where& where) {
  for (const auto& item : obj.items()) {
    bool known = false;
    for (const char* name : allowed) known = known || item.key() == name;
    if (known) continue;
    std::string list;
    for (const char* name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
    where.fail("unknown field \"" + item.key() + "\" (allowed: " + list + ")");
  }
}

void check_size(std::string_view json_text, std::string_view source) {
  if (json_text.size() > max_config_size) {
    throw Error(ErrorKind::invalid_input, std::string(source) + ": " + std::to_string(json_text.size()) +
                                              " bytes, over the 1 MiB limit for a runtime config");
  }
}

}  // namespace

RuntimeConfig RuntimeConfig::parse(std::string_view json_text, std::string_view source) {
  check_size(json_text, source);
  const Where where{std::string(source), ""};
  json doc = json_fields::parse_object(json_text, where);
  reject_unknown(doc, {"type", "abiVersions", "abi_versions", "config"}, where);
  RuntimeConfig config;
  if (auto type = doc.find("type"); type != doc.end()) {
    if (!type->is_string()) {
      where.key("type").fail("expected a string, got " + json_fields::type_of(*type));
    }
    config.type = type->get<std::string>();
    if (config.type.empty()) where.key("type").fail("must not be empty (e.g. \"envoy_proxy\")");
  }
  config.abi_versions = get_either(doc, "abiVersions", "abi_versions", where);
  if (const json* inner = json_fields::find(doc, "config", where, Presence::optional)) {
    Where at = where.key("config");
    if (!inner->is_object()) at.fail("expected an object, got " + json_fields::type_of(*inner));
    reject_unknown(*inner, {"rootIds", "root_ids"}, at);
    config.root_ids = get_either(*inner, "rootIds", "root_ids", at);
  }
  return config;
}

std::string RuntimeConfig::serialize() const {
  nlohmann::ordered_json out;
  out["type"] = type;
  out["abiVersions"] = abi_versions;
  out["config"]["rootIds"] = root_ids;
  return json_fields::dump_compact(out, "runtime config");
}

RuntimeConfig parse_solo_2019_config(std::string_view json_text) {
  check_size(json_text, "2019 config");
  const Where where{"2019 config", ""};
  json doc = json_fields::parse_object(json_text, where);
  RuntimeConfig config;
  const json* roots = json_fields::find(doc, "roots", where, Presence::optional);
  if (!roots) return config;
  Where at = where.key("roots");
  if (!roots->is_array()) at.fail("expected a list, got " + json_fields::type_of(*roots));
  for (size_t i = 0; i < roots->size(); ++i) {
    const json& root = (*roots)[i];
    if (!root.is_object()) at.index(i).fail("expected an object, got " + json_fields::type_of(root));
    config.root_ids.push_back(json_fields::get_string(root, "id", at.index(i), Presence::optional));
  }
  return config;
}

}  // namespace wasme::oci
