#include "wasme/registry/tags.hpp"

#include <algorithm>
#include <set>
#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/registry/json_util.hpp"
#include "wasme/registry/url.hpp"

namespace wasme::registry {
namespace {

constexpr int max_pages = 1000;
constexpr size_t max_tags = 1'000'000;

// Appends one page's tags; throws when the answer is not a tag list.
void read_page(const std::string& body, std::vector<std::string>& tags) {
  auto doc = parse_json_limited<nlohmann::json>(body, "the tag list", {8, 16u << 20});
  if (doc.is_discarded() || !doc.is_object()) {
    throw Error(ErrorKind::registry, "the tag list is not a JSON object");
  }
  if (!doc.contains("tags") || doc.at("tags").is_null()) return;
  const auto& list = doc.at("tags");
  if (!list.is_array()) throw Error(ErrorKind::registry, "the tag list's \"tags\" is not an array");
  for (const auto& tag : list) {
    const auto* text = tag.get_ptr<const std::string*>();
    if (!text) throw Error(ErrorKind::registry, "the tag list holds a non-string tag");
    tags.push_back(*text);
  }
}

}  // namespace

std::string next_link(std::string_view header) {
  while (!header.empty()) {
    auto open = header.find('<');
    auto close = header.find('>', open);
    if (open == std::string_view::npos || close == std::string_view::npos) return "";
    std::string_view target = header.substr(open + 1, close - open - 1);
    auto end = header.find(',', close);
    std::string params(
        header.substr(close + 1, end == std::string_view::npos ? std::string_view::npos : end - close - 1));
    params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
    if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos) {
      return std::string(target);
    }
    if (end == std::string_view::npos) return "";
    header.remove_prefix(end + 1);
  }
  return "";
}

std::vector<std::string> list_tags(Client& client, const oci::Reference& repository) {
  const std::string& registry = repository.registry;
  return with_context("listing the tags of \"" + repository.name() + "\"", [&] {
    std::vector<std::string> tags;
    Request request;
    request.url = "/v2/" + repository.repository + "/tags/list?n=1000";
    request.max_body = 16u << 20;
    std::set<std::string> visited;  // a Link that leads back to a page read already is a loop
    for (int page = 0; page < max_pages; ++page) {
      Response response =
          client.call(registry, request, pull_scope(repository.repository), {200}, "fetching the tag list");
      read_page(response.body, tags);
      if (tags.size() > max_tags) {
        throw Error(ErrorKind::registry, "the tag list has more than " + std::to_string(max_tags) + " tags");
      }
      std::string next = next_link(response.headers.get("Link").value_or(""));
      if (next.empty()) {
        std::sort(tags.begin(), tags.end());
        return tags;
      }
      visited.insert(response.url);
      request.url = resolve_location(Url::parse(response.url), next).str();
      if (visited.count(request.url)) {
        throw Error(ErrorKind::registry,
                    "the tag list's next link leads back to a page already read (" + request.url + ")");
      }
    }
    throw Error(ErrorKind::registry, "the tag list has more than " + std::to_string(max_pages) + " pages");
  });
}

std::vector<std::string> list_tags(const oci::Reference& repository, const RemoteOptions& options,
                                   const Observer& observer) {
  Client client(options, observer);
  return list_tags(client, repository);
}

void check_login(Client& client, const std::string& registry) {
  Request request;
  request.url = "/v2/";
  client.call(registry, request, "", {200}, "checking the credentials for " + registry);
}

void check_login(const std::string& registry, const RemoteOptions& options, const Observer& observer) {
  Client client(options, observer);
  check_login(client, registry);
}

}  // namespace wasme::registry
