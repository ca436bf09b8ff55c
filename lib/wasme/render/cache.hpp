#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/render/yaml.hpp"

namespace wasme::render {

// Where the cache keeps modules on every node; the EnvoyFilter's code file lives here and
// the sidecars mount it (wasme-facts §1.3, §5).
inline constexpr std::string_view cache_directory = "/var/local/lib/wasme-cache";
// Where the ConfigMap's `images` key is mounted in the cache pod.
inline constexpr std::string_view cache_config_directory = "/etc/wasme-cache";
inline constexpr std::string_view cache_ref_file = "/etc/wasme-cache/images.txt";
// The ConfigMap key holding the image list, one reference a line.
inline constexpr std::string_view cache_images_key = "images";
// The cache's HTTP port (/ready, /images, modules).
inline constexpr int cache_port = 9979;
// The cache container image of this release ("ghcr.io/wasme/wasme:0.1.0"); the image's
// ENTRYPOINT is `wasme`. Pinned to the running binary's version, never :latest, so that what
// a cluster runs does not change under a rendering, and its cache speaks the binary's format.
std::string default_cache_image();

// The node-local cache the EnvoyFilter mode needs.
struct CacheOptions {
  std::string namespace_name = "wasme";
  std::string name = "wasme-cache";  // ConfigMap, ServiceAccount, DaemonSet and pod label
  std::string image = default_cache_image();
  std::vector<std::string> images;  // references the cache must hold
  // A kubernetes.io/dockerconfigjson Secret in the cache namespace with credentials for
  // private registries; mounted and passed to the cache with -c.
  std::optional<std::string> pull_secret;
};

// Namespace, ServiceAccount, ConfigMap and DaemonSet, in the order they must be applied.
std::vector<Json> cache_objects(const CacheOptions& options);

// The ConfigMap's `images` value for a list of references (one a line, newline-terminated).
std::string images_value(const std::vector<std::string>& images);
// The references in an `images` value (blank lines and # comments ignored).
std::vector<std::string> parse_images_value(std::string_view value);

// The pod label selector of the cache pods ("app=wasme-cache").
std::string cache_pod_selector(const CacheOptions& options);

}  // namespace wasme::render
