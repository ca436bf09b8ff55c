#include "wasme/kube/undeploy.hpp"

#include <algorithm>
#include <set>

#include "wasme/core/error.hpp"

namespace wasme::kube {

// What undeploy takes from render: the marks deploy leaves and the cache's list format.
using render::cache_images_key;
using render::CacheOptions;
using render::DeployMode;
using render::id_label;
using render::image_annotation;
using render::images_value;
using render::IstioVersion;
using render::label_selector;
using render::Labels;
using render::managed_by_label;
using render::parse_images_value;
using render::pod_annotations_annotation;
using render::read_workload;
using render::required_annotations;
using render::restore_changes;
using render::template_patch;
using render::Workload;
using render::workload_annotation;

namespace {

const Json& field(const Json& object, std::initializer_list<const char*> path) {
  static const Json missing;
  const Json* node = &object;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return missing;
    node = &node->at(key);
  }
  return *node;
}

std::string text(const Json& object, std::initializer_list<const char*> path) {
  const Json& value = field(object, path);
  return value.is_string() ? value.get<std::string>() : std::string();
}

Labels labels_of(const Json& map) {
  Labels out;
  if (!map.is_object()) return out;
  for (const auto& [k, v] : map.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

// The labels a filter selects workloads by (EnvoyFilter workloadSelector, WasmPlugin selector).
Labels selector_of(const Json& filter) {
  if (text(filter, {"kind"}) == "WasmPlugin") return labels_of(field(filter, {"spec", "selector", "matchLabels"}));
  return labels_of(field(filter, {"spec", "workloadSelector", "labels"}));
}

std::string namespace_of(const Json& o) { return text(o, {"metadata", "namespace"}); }

// The writes of an undeploy: run them, or with a dry run only list them.
class Writer {
 public:
  Writer(Kubectl& kubectl, const IstioUndeployRequest& request, const Log& log, UndeployResult& result)
      : kubectl_(kubectl), dry_(request.dry_run == DryRun::yes), log_(log), result_(result) {}
  void write(const std::vector<std::string>& args, const std::string& what) {
    result_.commands.push_back(shell_quote(kubectl_.argv(args)));
    log_((dry_ ? "would run: " : "") + what);
    if (!dry_) kubectl_.run(args, what);
  }

 private:
  Kubectl& kubectl_;
  bool dry_;
  const Log& log_;
  UndeployResult& result_;
};

std::vector<Workload> workloads_of(const Json& filter, const IstioUndeployRequest& request, Kubectl& kubectl) {
  std::string ns = namespace_of(filter);
  std::string ref = text(filter, {"metadata", "annotations", std::string(workload_annotation).c_str()});
  std::vector<Workload> out;
  if (!ref.empty()) {
    auto slash = ref.find('/');
    Json live = kubectl.get_json(
        {"-n", ns, "get", ref.substr(0, slash), ref.substr(slash + 1), "-o", "json", "--ignore-not-found"},
        "reading " + ref);
    if (!live.is_null()) out.push_back(read_workload(live));
  } else {
    std::vector<std::string> args = {"-n", ns, "get", to_string(request.workload_kind)};
    Labels selector = selector_of(filter);
    if (!selector.empty()) args.insert(args.end(), {"-l", label_selector(selector)});
    args.insert(args.end(), {"-o", "json"});
    // Held in a named value: a range-for over field(temporary) would read a destroyed document.
    const Json listed = kubectl.get_json(args, "listing workloads");
    for (const Json& item : field(listed, {"items"})) {
      out.push_back(read_workload(item));
    }
  }
  for (auto& w : out) w.namespace_name = ns;
  return out;
}

// The annotations (key -> our value) a filter asked for, from its wasme.io/pod-annotations.
Json pod_annotations_of(const Json& filter) {
  Json all = required_annotations(IstioVersion::parse("1.4"), {});
  std::string keys = text(filter, {"metadata", "annotations", std::string(pod_annotations_annotation).c_str()});
  if (keys.empty()) keys = "sidecar.istio.io/userVolume,sidecar.istio.io/userVolumeMount";
  Json out = Json::object();
  size_t start = 0;
  while (start <= keys.size()) {
    size_t comma = keys.find(',', start);
    std::string key = keys.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (all.contains(key)) out[key] = all[key];
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void restore_workloads(const std::vector<Json>& targets, const std::vector<Json>& remaining,
                       const IstioUndeployRequest& request, Kubectl& kubectl, Writer& writer) {
  std::set<std::string> seen;
  for (const Json& filter : targets) {
    for (const Workload& w : workloads_of(filter, request, kubectl)) {
      if (!seen.insert(w.namespace_name + "/" + w.ref()).second) continue;
      bool needed = std::any_of(remaining.begin(), remaining.end(), [&](const Json& other) {
        return namespace_of(other) == w.namespace_name && selects(selector_of(other), w.template_labels);
      });
      if (needed) continue;  // another filter still loads a module from the cache volume
      Json changes = restore_changes(w.annotations, pod_annotations_of(filter));
      if (changes.empty()) continue;
      writer.write({"-n", w.namespace_name, "patch", w.ref(), "--type=merge", "-p=" + template_patch(changes).dump()},
                   "restoring the annotations of " + w.ref());
    }
  }
}

void drop_images(const std::vector<Json>& targets, const std::vector<Json>& remaining,
                 const IstioUndeployRequest& request, Kubectl& kubectl, Writer& writer) {
  std::set<std::string> unused;
  for (const Json& f : targets)
    unused.insert(text(f, {"metadata", "annotations", std::string(image_annotation).c_str()}));
  for (const Json& f : remaining)
    unused.erase(text(f, {"metadata", "annotations", std::string(image_annotation).c_str()}));
  unused.erase("");
  if (unused.empty()) return;
  const CacheOptions& cache = request.cache;
  Json config_map =
      kubectl.get_json({"-n", cache.namespace_name, "get", "configmap", cache.name, "-o", "json", "--ignore-not-found"},
                       "reading configmap/" + cache.name);
  if (config_map.is_null()) return;
  std::vector<std::string> images =
      parse_images_value(text(config_map, {"data", std::string(cache_images_key).c_str()}));
  size_t before = images.size();
  images.erase(std::remove_if(images.begin(), images.end(), [&](const std::string& i) { return unused.count(i) > 0; }),
               images.end());
  if (images.size() == before) return;
  Json patch = {{"data", {{cache_images_key, images_value(images)}}}};
  const Json& version = field(config_map, {"metadata", "resourceVersion"});
  if (!version.is_null()) patch["metadata"] = {{"resourceVersion", version}};
  writer.write({"-n", cache.namespace_name, "patch", "configmap/" + cache.name, "--type=merge", "-p=" + patch.dump()},
               "removing unused images from configmap/" + cache.name);
}

}  // namespace

bool selects(const Labels& selector, const Labels& labels) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
    auto it = labels.find(kv.first);
    return it != labels.end() && it->second == kv.second;
  });
}

UndeployResult undeploy_istio(const IstioUndeployRequest& request, Kubectl& kubectl, const Log& log) {
  if (request.id.empty()) throw Error(ErrorKind::usage, "--id is required", "give the id used with deploy");
  bool plugin = request.mode == DeployMode::wasm_plugin;
  std::string resource = plugin ? "wasmplugins.extensions.istio.io" : "envoyfilters.networking.istio.io";
  Json all = kubectl.get_json({"get", resource, "-A", "-l", std::string(managed_by_label) + "=wasme", "-o", "json"},
                              "listing wasme's filters");
  std::vector<Json> targets, remaining;
  for (const Json& f : field(all, {"items"})) {
    bool match = namespace_of(f) == request.namespace_name &&
                 text(f, {"metadata", "labels", std::string(id_label).c_str()}) == request.id &&
                 selects(request.labels, selector_of(f));
    (match ? targets : remaining).push_back(f);
  }
  if (targets.empty()) {
    throw Error(ErrorKind::not_found,
                "no " + std::string(plugin ? "WasmPlugin" : "EnvoyFilter") + " with id \"" + request.id +
                    "\" in namespace " + request.namespace_name,
                "list wasme's filters with: kubectl get " + resource + " -A -l " + std::string(id_label));
  }
  UndeployResult result;
  Writer writer(kubectl, request, log, result);
  for (const Json& f : targets) {
    writer.write({"-n", namespace_of(f), "delete", resource_name(f)}, "deleting " + resource_name(f));
    result.filters.push_back(namespace_of(f) + "/" + resource_name(f));
  }
  if (plugin) return result;
  restore_workloads(targets, remaining, request, kubectl, writer);
  drop_images(targets, remaining, request, kubectl, writer);
  return result;
}

}  // namespace wasme::kube
