#include "wasme/registry/transport.hpp"

#include <strings.h>

namespace wasme::registry {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

void Headers::add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }

void Headers::set(const std::string& name, std::string value) {
  remove(name);
  add(name, std::move(value));
}

void Headers::remove(std::string_view name) {
  std::vector<std::pair<std::string, std::string>> kept;
  for (auto& field : fields_) {
    if (!equals_ignore_case(field.first, name)) kept.push_back(std::move(field));
  }
  fields_ = std::move(kept);
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& field : fields_) {
    if (equals_ignore_case(field.first, name)) return field.second;
  }
  return std::nullopt;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& field : fields_) {
    if (equals_ignore_case(field.first, name)) out.push_back(field.second);
  }
  return out;
}

RequestBody RequestBody::from_string(std::string bytes) {
  RequestBody body;
  body.bytes = std::move(bytes);
  return body;
}

RequestBody RequestBody::from_file(std::filesystem::path file, std::uint64_t offset, std::uint64_t length) {
  RequestBody body;
  body.file = std::move(file);
  body.offset = offset;
  body.length = length;
  return body;
}

}  // namespace wasme::registry
