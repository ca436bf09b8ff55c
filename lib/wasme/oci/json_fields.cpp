#include "wasme/oci/json_fields.hpp"

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"

namespace wasme::oci::json_fields {

namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] "; users need the rest.
std::string strip_exception_tag(const char* what) {
  std::string_view message = what;
  if (!message.empty() && message.front() == '[') {
    if (size_t end = message.find("] "); end != std::string_view::npos) message.remove_prefix(end + 2);
  }
  return std::string(message);
}

}  // namespace

std::string type_of(const json& value) {
  if (value.is_number_integer() || value.is_number_unsigned()) return "an integer";
  if (value.is_number_float()) return "a fractional number";
  std::string name = value.type_name();
  bool vowel = name.find_first_of("aeiou") == 0;
  return (vowel ? "an " : "a ") + name;
}

namespace {

template <class Json>
std::string dump_checked(const Json& value, std::string_view what) {
  try {
    return value.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::invalid_input, std::string(what) + ": cannot serialize: " + strip_exception_tag(e.what()),
                "strings in manifests and configs must be valid UTF-8");
  }
}

}  // namespace

Where Where::key(std::string_view name) const {
  return {document, field.empty() ? std::string(name) : field + "." + std::string(name)};
}

Where Where::index(size_t i) const { return {document, field + "[" + std::to_string(i) + "]"}; }

std::string Where::str() const { return field.empty() ? document : document + ": " + field; }

void Where::fail(const std::string& why) const { throw Error(ErrorKind::invalid_input, str() + ": " + why); }

json parse_object(std::string_view bytes, const Where& where) {
  json doc;
  try {
    // Bounded nesting: a document from a registry or a file is never trusted to be shallow.
    doc = parse_json_limited<json>(bytes, where.str(), {64, 16u << 20});
    if (doc.is_discarded()) doc = json::parse(bytes.begin(), bytes.end());  // for the parser's message
  } catch (const json::parse_error& e) {
    where.fail("not valid JSON: " + strip_exception_tag(e.what()));
  }
  if (!doc.is_object()) where.fail("expected a JSON object, got " + type_of(doc));
  return doc;
}

const json* find(const json& obj, std::string_view key, const Where& where, Presence presence) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (presence == Presence::required) where.key(key).fail("missing (required)");
    return nullptr;
  }
  return &*it;
}

std::string get_string(const json& obj, std::string_view key, const Where& where, Presence presence) {
  const json* value = find(obj, key, where, presence);
  if (!value) return {};
  if (!value->is_string()) where.key(key).fail("expected a string, got " + type_of(*value));
  return value->get<std::string>();
}

std::uint64_t get_size(const json& obj, std::string_view key, const Where& where) {
  const json* value = find(obj, key, where, Presence::required);
  if (value->is_number_unsigned()) return value->get<std::uint64_t>();
  if (value->is_number_integer()) {
    where.key(key).fail("must not be negative, got " + value->dump());
  }
  where.key(key).fail("expected a non-negative integer, got " + type_of(*value));
}

std::int64_t get_int(const json& obj, std::string_view key, const Where& where) {
  const json* value = find(obj, key, where, Presence::required);
  if (value->is_number_integer() && !value->is_number_unsigned()) return value->get<std::int64_t>();
  if (value->is_number_unsigned() && value->get<std::uint64_t>() <= INT64_MAX) {
    return static_cast<std::int64_t>(value->get<std::uint64_t>());
  }
  where.key(key).fail("expected an integer, got " + type_of(*value));
}

std::vector<std::string> as_string_list(const json& value, const Where& where) {
  std::vector<std::string> out;
  if (value.is_null()) return out;
  if (!value.is_array()) where.fail("expected a list of strings, got " + type_of(value));
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) where.index(i).fail("expected a string, got " + type_of(value[i]));
    out.push_back(value[i].get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> get_string_map(const json& obj, std::string_view key, const Where& where) {
  std::map<std::string, std::string> out;
  const json* value = find(obj, key, where, Presence::optional);
  if (!value) return out;
  Where at = where.key(key);
  if (!value->is_object()) at.fail("expected an object of strings, got " + type_of(*value));
  for (const auto& [name, item] : value->items()) {
    if (!item.is_string()) at.key(name).fail("expected a string, got " + type_of(item));
    out.emplace(name, item.get<std::string>());
  }
  return out;
}

std::string dump_compact(const json& value, std::string_view what) { return dump_checked(value, what); }

std::string dump_compact(const nlohmann::ordered_json& value, std::string_view what) {
  return dump_checked(value, what);
}

}  // namespace wasme::oci::json_fields
