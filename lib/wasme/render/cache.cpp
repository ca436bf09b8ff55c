#include "wasme/render/cache.hpp"

#include <sstream>

#include "wasme/core/version.hpp"

namespace wasme::render {
namespace {

const std::string credentials_directory = "/etc/wasme-cache-credentials";

Json metadata(const CacheOptions& o, const std::string& name, bool namespaced) {
  Json m = {{"name", name}};
  if (namespaced) m["namespace"] = o.namespace_name;
  m["labels"] = {{"app.kubernetes.io/managed-by", "wasme"}};
  if (namespaced) m["labels"]["app"] = o.name;
  return m;
}

Json cache_args(const CacheOptions& o) {
  Json args = Json::array({"cache", "--directory", cache_directory, "--ref-file", cache_ref_file});
  if (o.pull_secret) {
    args.push_back("-c");
    args.push_back(credentials_directory + "/.dockerconfigjson");
  }
  return args;
}

Json container(const CacheOptions& o) {
  Json mounts = Json::array({{{"name", "cache-dir"}, {"mountPath", cache_directory}},
                             {{"name", "config"}, {"mountPath", cache_config_directory}, {"readOnly", true}}});
  if (o.pull_secret) {
    mounts.push_back({{"name", "credentials"}, {"mountPath", credentials_directory}, {"readOnly", true}});
  }
  return {
      {"name", o.name},
      {"image", o.image},
      {"args", cache_args(o)},
      {"ports", Json::array({{{"name", "http"}, {"containerPort", cache_port}, {"protocol", "TCP"}}})},
      {"readinessProbe", {{"httpGet", {{"path", "/ready"}, {"port", cache_port}}}, {"periodSeconds", 2}}},
      {"resources",
       {{"requests", {{"memory", "128Mi"}, {"cpu", "50m"}}}, {"limits", {{"memory", "256Mi"}, {"cpu", "500m"}}}}},
      {"volumeMounts", mounts},
  };
}

Json volumes(const CacheOptions& o) {
  Json v = Json::array({
      {{"name", "cache-dir"}, {"hostPath", {{"path", cache_directory}, {"type", "DirectoryOrCreate"}}}},
      {{"name", "config"},
       {"configMap",
        {{"name", o.name}, {"items", Json::array({{{"key", cache_images_key}, {"path", "images.txt"}}})}}}},
  });
  if (o.pull_secret) {
    v.push_back({{"name", "credentials"}, {"secret", {{"secretName", *o.pull_secret}}}});
  }
  return v;
}

Json daemon_set(const CacheOptions& o) {
  Json pod_spec = {
      {"serviceAccountName", o.name}, {"containers", Json::array({container(o)})}, {"volumes", volumes(o)}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "DaemonSet"},
          {"metadata", metadata(o, o.name, true)},
          {"spec",
           {{"selector", {{"matchLabels", {{"app", o.name}}}}},
            {"template", {{"metadata", {{"labels", {{"app", o.name}}}}}, {"spec", pod_spec}}}}}};
}

}  // namespace

std::string default_cache_image() { return "ghcr.io/wasme/wasme:" + version(); }

std::vector<Json> cache_objects(const CacheOptions& o) {
  Json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", metadata(o, o.namespace_name, false)}};
  Json account = {{"apiVersion", "v1"},
                  {"kind", "ServiceAccount"},
                  {"metadata", metadata(o, o.name, true)},
                  {"automountServiceAccountToken", false}};  // the cache never calls the API
  Json config_map = {{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", metadata(o, o.name, true)},
                     {"data", {{cache_images_key, images_value(o.images)}}}};
  return {ns, account, config_map, daemon_set(o)};
}

std::string images_value(const std::vector<std::string>& images) {
  std::string out;
  for (const auto& image : images) out += image + "\n";
  return out;
}

std::vector<std::string> parse_images_value(std::string_view value) {
  std::vector<std::string> out;
  std::istringstream lines{std::string(value)};
  std::string line;
  while (std::getline(lines, line)) {
    auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') continue;
    auto end = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(begin, end - begin + 1));
  }
  return out;
}

std::string cache_pod_selector(const CacheOptions& options) { return "app=" + options.name; }

}  // namespace wasme::render
