#include "wasme/cache/fetcher.hpp"

#include "wasme/oci/reference.hpp"
#include "wasme/registry/fetch.hpp"

namespace wasme::cache {

Fetcher registry_fetcher(registry::RemoteOptions options, registry::Observer observer) {
  return [options = std::move(options), observer = std::move(observer)](
             const std::string& ref, const std::filesystem::path& dir, const std::atomic<bool>& cancel) {
    auto reference = oci::Reference::parse(ref);
    auto fetched = registry::fetch_module(reference, dir, options, observer, &cancel);
    return FetchedModule{fetched.digest, fetched.size, fetched.path};
  };
}

}  // namespace wasme::cache
