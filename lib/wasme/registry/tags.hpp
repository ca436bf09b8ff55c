#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "wasme/oci/reference.hpp"
#include "wasme/registry/client.hpp"
#include "wasme/registry/options.hpp"

namespace wasme::registry {

// Every tag of repository's repository (its tag and digest are ignored), following Link
// pagination; a `"tags": null` answer (distribution, after deletes) is an empty list.
// Tags come back sorted.
std::vector<std::string> list_tags(const oci::Reference& repository, const RemoteOptions& options,
                                   const Observer& observer);
std::vector<std::string> list_tags(Client& client, const oci::Reference& repository);

// The target of a Link header's rel="next" entry ("<url>; rel=\"next\""), or "".
std::string next_link(std::string_view link_header);

// Checks that the registry accepts the configured credentials: GET /v2/, answering its
// challenge (Basic, or a Bearer token for no repository). Throws Error(auth) when refused.
void check_login(const std::string& registry, const RemoteOptions& options, const Observer& observer);
void check_login(Client& client, const std::string& registry);

}  // namespace wasme::registry
