#pragma once
#include <string>

namespace wasme::render {

// Refuses what the API server would refuse later, naming the flag. Throws Error(usage).
// A DNS-1123 label: namespaces, and ids that become parts of object names and label values.
void check_dns_label(const std::string& value, const std::string& flag);
// A DNS-1123 subdomain: object names (Gateways, routes, Services, Secrets).
void check_dns_subdomain(const std::string& value, const std::string& flag);

}  // namespace wasme::render
