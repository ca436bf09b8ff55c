#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

// Helpers the oci parsers share for reading untrusted JSON documents. Every error names the
// document and the field path ("manifest: layers[1].digest: …") so a user can find it.
namespace wasme::oci::json_fields {

using nlohmann::json;

// Where a value sits: the document ("manifest") and the field path inside it ("layers[1]").
struct Where {
  std::string document;
  std::string field;

  Where key(std::string_view name) const;
  Where index(size_t i) const;
  // "manifest: layers[1].digest", or just "manifest" at the top.
  std::string str() const;
  // Throws Error(invalid_input) "<str()>: why".
  [[noreturn]] void fail(const std::string& why) const;
};

// "an integer", "a string", "an array": for messages about wrong types.
std::string type_of(const json& value);

// Parses bytes that must hold one JSON object.
json parse_object(std::string_view bytes, const Where& where);

enum class Presence { required, optional };

// obj[key] when present and not null, else nullptr (or an error when required).
const json* find(const json& obj, std::string_view key, const Where& where, Presence presence);
// The string at obj[key]; "" when optional and absent.
std::string get_string(const json& obj, std::string_view key, const Where& where, Presence presence);
// A non-negative integer (a size).
std::uint64_t get_size(const json& obj, std::string_view key, const Where& where);
// A required integer (schemaVersion).
std::int64_t get_int(const json& obj, std::string_view key, const Where& where);
// A list of strings; a null value is empty.
std::vector<std::string> as_string_list(const json& value, const Where& where);
// A string-to-string object at obj[key]; null or absent is empty.
std::map<std::string, std::string> get_string_map(const json& obj, std::string_view key, const Where& where);

// Compact dump; invalid UTF-8 becomes Error(invalid_input) instead of a json exception.
std::string dump_compact(const json& value, std::string_view what);
std::string dump_compact(const nlohmann::ordered_json& value, std::string_view what);

}  // namespace wasme::oci::json_fields
