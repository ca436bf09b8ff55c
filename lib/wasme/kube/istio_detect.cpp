#include "wasme/kube/istio_detect.hpp"

#include "wasme/core/error.hpp"

namespace wasme::kube {

using render::IstioVersion;

namespace {

std::string string_at(const Json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "";
  const Json& value = object.at(key);
  return value.is_string() ? value.get<std::string>() : "";
}

// An object member that is itself an object; an empty object otherwise (odd kubectl output).
Json object_at(const Json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object.at(key).is_object()) return Json::object();
  return object.at(key);
}

std::optional<IstioVersion> version_of(const std::string& text) {
  try {
    return IstioVersion::parse(text);
  } catch (const Error&) {
    return std::nullopt;  // "latest", a digest, a custom tag: the version is unknown
  }
}

// The image of the discovery container (or the first), e.g. docker.io/istio/pilot:1.22.3.
std::string pilot_image(const Json& deployment) {
  const Json pod = object_at(object_at(object_at(deployment, "spec"), "template"), "spec");
  if (!pod.contains("containers") || !pod.at("containers").is_array() || pod.at("containers").empty()) return "";
  const Json& containers = pod.at("containers");
  for (const Json& c : containers) {
    if (string_at(c, "name") == "discovery") return string_at(c, "image");
  }
  return string_at(containers.front(), "image");
}

std::string image_tag(const std::string& image) {
  std::string name = image.substr(0, image.find('@'));
  auto colon = name.rfind(':');
  if (colon == std::string::npos || name.find('/', colon) != std::string::npos) return "";
  return name.substr(colon + 1);
}

Istiod read_istiod(const Json& deployment) {
  Istiod out;
  const Json meta = object_at(deployment, "metadata");
  out.namespace_name = string_at(meta, "namespace");
  out.name = string_at(meta, "name");
  const Json labels = object_at(meta, "labels");
  out.revision = string_at(labels, "istio.io/rev");
  if (out.revision.empty()) out.revision = "default";
  for (const char* key : {"app.kubernetes.io/version", "operator.istio.io/version"}) {
    if (auto v = version_of(string_at(labels, key))) {
      out.version = v;
      out.source = std::string("label ") + key;
      return out;
    }
  }
  std::string image = pilot_image(deployment);
  if (auto v = version_of(image_tag(image))) {
    out.version = v;
    out.source = "image " + image;
  }
  return out;
}

std::string describe(const Istiod& istiod) {
  return "istiod " + istiod.namespace_name + "/" + istiod.name + " (revision " + istiod.revision + ", " +
         (istiod.version ? "Istio " + istiod.version->str() + " from " + istiod.source : "version unknown") + ")";
}

}  // namespace

std::vector<Istiod> read_istiods(const Json& deployments) {
  std::vector<Istiod> out;
  if (!deployments.is_object() || !deployments.contains("items") || !deployments["items"].is_array()) return out;
  for (const Json& item : deployments["items"]) out.push_back(read_istiod(item));
  return out;
}

ChosenIstio choose_istio_version(const std::vector<Istiod>& istiods, const std::string& revision) {
  std::vector<const Istiod*> candidates;
  for (const auto& istiod : istiods) {
    if (revision.empty() || istiod.revision == revision) candidates.push_back(&istiod);
  }
  if (candidates.empty()) {
    std::string what = revision.empty() ? "no istiod Deployment (label app=istiod) in the cluster"
                                        : "no istiod of revision \"" + revision + "\" in the cluster";
    throw Error(ErrorKind::not_found, what,
                "check the cluster with: kubectl get deployments -A -l app=istiod --show-labels; or give "
                "--istio-version");
  }
  const Istiod* chosen = nullptr;
  std::string all;
  bool disagree = false;
  for (const Istiod* istiod : candidates) {
    all += "\n  " + describe(*istiod);
    if (!istiod->version) continue;
    if (chosen && chosen->version->str() != istiod->version->str()) disagree = true;
    if (!chosen) chosen = istiod;
  }
  if (!chosen) {
    throw Error(ErrorKind::not_found, "cannot tell the Istio version of the cluster:" + all, "give --istio-version");
  }
  if (disagree) {
    throw Error(ErrorKind::usage, "the cluster runs more than one Istio version:" + all,
                "give --revision REV (its istio.io/rev) or --istio-version");
  }
  return {*chosen->version, "Istio " + chosen->version->str() + " (" + describe(*chosen) + ")"};
}

ChosenIstio detect_istio_version(Kubectl& kubectl, const std::string& revision) {
  Json list = kubectl.get_json({"get", "deployments", "-A", "-l", "app=istiod", "-o", "json"},
                               "finding the Istio version (istiod Deployments)");
  return choose_istio_version(read_istiods(list), revision);
}

}  // namespace wasme::kube
