#pragma once
#include <string>
#include <string_view>

namespace wasme::render {

// Refuses what the API server would refuse later, naming the flag. Throws Error(usage).
// A DNS-1123 label: namespaces, and ids that become parts of object names and label values.
void check_dns_label(const std::string& value, const std::string& flag);
// A DNS-1123 subdomain: object names (Gateways, routes, Services, Secrets).
void check_dns_subdomain(const std::string& value, const std::string& flag);

// A label key (NAME or PREFIX/NAME) and value, as IsQualifiedName and IsValidLabelValue
// accept them.
void check_label_key(const std::string& key, const std::string& flag);
void check_label_value(const std::string& value, const std::string& flag);
// A container port's name (IsValidPortName); throws Error(invalid_input) naming `where`.
void check_port_name(const std::string& name, const std::string& where);

// "KIND/NAME" (a policy's target) split at the first '/'; both empty when there is none.
struct KindName {
  std::string kind;
  std::string name;
};
KindName split_kind_name(std::string_view text);

}  // namespace wasme::render
