#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace wasme::registry {

// obj[key] when obj is an object and the value a string, else "". Reads through get_ptr,
// so untrusted documents of any shape never throw (and GCC's -Wnull-dereference stays quiet).
inline std::string string_at(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key)) return "";
  const nlohmann::json& value = obj.at(key);
  const auto* text = value.get_ptr<const std::string*>();
  return text ? *text : "";
}

}  // namespace wasme::registry
