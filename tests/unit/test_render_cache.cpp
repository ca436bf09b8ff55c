#include <doctest/doctest.h>

#include "wasme/core/version.hpp"
#include "wasme/render/cache.hpp"

using namespace wasme;
using wasme::render::Json;

TEST_CASE("cache_objects renders namespace, service account, config map and daemon set") {
  render::CacheOptions options;
  options.images = {"webassemblyhub.io/yuval-k/istio-example:1.4.2", "localhost:5000/a/b:v1"};
  options.image = "example.com/wasme:1.0";
  auto objects = render::cache_objects(options);
  REQUIRE(objects.size() == 4);
  CHECK(objects[0]["kind"] == "Namespace");
  CHECK(objects[0]["metadata"]["name"] == "wasme");
  CHECK_FALSE(objects[0]["metadata"].contains("namespace"));
  CHECK(objects[1]["kind"] == "ServiceAccount");
  CHECK(objects[1]["metadata"]["namespace"] == "wasme");
  CHECK(objects[1]["automountServiceAccountToken"] == false);

  const Json& cm = objects[2];
  CHECK(cm["kind"] == "ConfigMap");
  CHECK(cm["metadata"]["name"] == "wasme-cache");
  CHECK(cm["data"]["images"] == "webassemblyhub.io/yuval-k/istio-example:1.4.2\nlocalhost:5000/a/b:v1\n");

  const Json& ds = objects[3];
  CHECK(ds["apiVersion"] == "apps/v1");
  CHECK(ds["kind"] == "DaemonSet");
  CHECK(ds["spec"]["selector"]["matchLabels"] == Json{{"app", "wasme-cache"}});
  CHECK(ds["spec"]["template"]["metadata"]["labels"] == Json{{"app", "wasme-cache"}});
  const Json& pod = ds["spec"]["template"]["spec"];
  CHECK(pod["serviceAccountName"] == "wasme-cache");
  REQUIRE(pod["containers"].size() == 1);
  const Json& c = pod["containers"][0];
  CHECK(c["image"] == "example.com/wasme:1.0");
  CHECK(c["args"] == Json::array({"cache", "--directory", "/var/local/lib/wasme-cache", "--ref-file",
                                  "/etc/wasme-cache/images.txt"}));
  CHECK(c["resources"] ==
        Json{{"requests", {{"memory", "128Mi"}, {"cpu", "50m"}}}, {"limits", {{"memory", "256Mi"}, {"cpu", "500m"}}}});
  CHECK(c["readinessProbe"]["httpGet"] == Json{{"path", "/ready"}, {"port", 9979}});
  CHECK(c["ports"][0]["containerPort"] == 9979);

  // the ConfigMap's key `images` is mounted as /etc/wasme-cache/images.txt
  Json config_volume, cache_volume;
  for (const auto& v : pod["volumes"]) {
    if (v["name"] == "config") config_volume = v;
    if (v["name"] == "cache-dir") cache_volume = v;
  }
  CHECK(config_volume["configMap"]["name"] == "wasme-cache");
  CHECK(config_volume["configMap"]["items"] == Json::array({{{"key", "images"}, {"path", "images.txt"}}}));
  CHECK(cache_volume["hostPath"] == Json{{"path", "/var/local/lib/wasme-cache"}, {"type", "DirectoryOrCreate"}});
  bool config_mounted = false, cache_mounted = false;
  for (const auto& m : c["volumeMounts"]) {
    if (m["name"] == "config" && m["mountPath"] == "/etc/wasme-cache") config_mounted = true;
    if (m["name"] == "cache-dir" && m["mountPath"] == "/var/local/lib/wasme-cache") cache_mounted = true;
  }
  CHECK(config_mounted);
  CHECK(cache_mounted);
}

TEST_CASE("names, namespace and pull secret are configurable") {
  render::CacheOptions options;
  options.namespace_name = "filters";
  options.name = "my-cache";
  options.pull_secret = "regcred";
  auto objects = render::cache_objects(options);
  CHECK(objects[0]["metadata"]["name"] == "filters");
  for (size_t i = 1; i < objects.size(); ++i) {
    CHECK(objects[i]["metadata"]["name"] == "my-cache");
    CHECK(objects[i]["metadata"]["namespace"] == "filters");
  }
  const Json& pod = objects[3]["spec"]["template"]["spec"];
  CHECK(pod["containers"][0]["image"] == render::default_cache_image());
  const Json& args = pod["containers"][0]["args"];
  CHECK(args[args.size() - 2] == "-c");
  CHECK(args.back() == "/etc/wasme-cache-credentials/.dockerconfigjson");
  CHECK(pod["volumes"].back() == Json{{"name", "credentials"}, {"secret", {{"secretName", "regcred"}}}});
  CHECK(render::cache_pod_selector(options) == "app=my-cache");
}

TEST_CASE("the cache image is pinned to this binary's version, never :latest") {
  CHECK(render::default_cache_image() == "ghcr.io/wasme/wasme:" + wasme::version());
  CHECK(render::CacheOptions{}.image == render::default_cache_image());
  CHECK(render::default_cache_image().find(":latest") == std::string::npos);
}

TEST_CASE("images value round trip ignores blanks and comments") {
  CHECK(render::images_value({}) == "");
  CHECK(render::images_value({"a:1", "b:2"}) == "a:1\nb:2\n");
  CHECK(render::parse_images_value("a:1\n\n  # comment\n b:2 \r\n") == std::vector<std::string>{"a:1", "b:2"});
  CHECK(render::parse_images_value("").empty());
}
