#include "wasme/kube/apply.hpp"

#include <algorithm>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"

namespace wasme::kube {

// What --apply takes from render: the objects, the annotations and the cache's list format.
using render::annotation_changes;
using render::annotations_for;
using render::cache_images_key;
using render::cache_objects;
using render::cache_pod_selector;
using render::cache_port;
using render::CacheOptions;
using render::DeployMode;
using render::filter_for;
using render::images_value;
using render::is_workload;
using render::IstioDeployRequest;
using render::label_selector;
using render::parse_images_value;
using render::parse_yaml_stream;
using render::read_workload;
using render::restore_changes;
using render::template_patch;
using render::Workload;

namespace {

// Runs numbered steps; a failure is rethrown naming the step, with the undo hints of the
// steps already done.
class Steps {
 public:
  explicit Steps(const Log& log) : log_(log) {}

  template <class F>
  auto run(const std::string& name, F&& f) -> decltype(f()) {
    ++number_;
    try {
      return f();
    } catch (const Error& e) {
      std::string hint = e.hint();
      if (!undo_.empty()) {
        hint += std::string(hint.empty() ? "" : "\n") + "earlier steps were left in place; to undo them:";
        for (const auto& u : undo_) hint += "\n  " + u;
      }
      Error wrapped(e.kind(), "step " + std::to_string(number_) + " (" + name + "): " + e.what(), hint);
      wrapped.with_exit_status(e.exit_status());
      throw wrapped;
    }
  }
  void done(const std::string& line) { log_(line); }
  void undo(std::string command) { undo_.insert(undo_.begin(), std::move(command)); }

 private:
  const Log& log_;
  int number_ = 0;
  std::vector<std::string> undo_;
};

std::vector<Workload> workloads_from_files(const IstioDeployRequest& request, Kubectl& kubectl) {
  std::vector<Workload> out;
  for (const auto& file : request.workload_files) {
    auto docs = with_context("reading " + file.string(),
                             [&] { return parse_yaml_stream(read_file(file, 16u << 20), file.string()); });
    for (const Json& doc : docs) {
      if (!is_workload(doc)) continue;
      Workload w = with_context(file.string(), [&] { return read_workload(doc); });
      std::string ns = w.namespace_name.empty() ? request.namespace_name : w.namespace_name;
      Json live = kubectl.get_json({"-n", ns, "get", to_string(w.kind), w.name, "-o", "json"}, "reading " + w.ref());
      out.push_back(read_workload(live));
      if (out.back().namespace_name.empty()) out.back().namespace_name = ns;
    }
  }
  return out;
}

std::vector<Workload> find_workloads(const IstioDeployRequest& request, Kubectl& kubectl) {
  if (!request.workload_files.empty()) return workloads_from_files(request, kubectl);
  std::vector<std::string> args = {"-n", request.namespace_name, "get", to_string(request.workload_kind)};
  if (!request.labels.empty()) args.insert(args.end(), {"-l", label_selector(request.labels)});
  args.insert(args.end(), {"-o", "json"});
  Json list = kubectl.get_json(args, "listing workloads");
  std::vector<Workload> out;
  if (list.is_object() && list.contains("items")) {
    for (const Json& item : list["items"]) {
      out.push_back(read_workload(item));
      if (out.back().namespace_name.empty()) out.back().namespace_name = request.namespace_name;
    }
  }
  if (out.empty()) {
    std::string what = std::string(to_string(request.workload_kind)) + " in namespace " + request.namespace_name;
    if (!request.labels.empty()) what += " matches " + label_selector(request.labels);
    throw Error(ErrorKind::not_found, "no " + what,
                "check -n, -t and -l; list them with: kubectl -n " + request.namespace_name + " get " +
                    to_string(request.workload_kind) + " --show-labels");
  }
  return out;
}

std::vector<std::string> pod_names(const Json& list) {
  std::vector<std::string> names;
  if (!list.is_object() || !list.contains("items")) return names;
  for (const Json& pod : list["items"]) {
    const Json& meta = pod.at("metadata");
    if (meta.contains("deletionTimestamp")) continue;
    names.push_back(meta.at("name").get<std::string>());
  }
  return names;
}

// Polls every cache pod's /images through the API server's pod proxy.
void wait_for_cache(const IstioDeployRequest& request, Kubectl& kubectl, const ApplyOptions& options, Clock& clock) {
  const CacheOptions& cache = request.cache;
  auto deadline = clock.now() + options.cache_timeout;
  for (;;) {
    Json pods =
        kubectl.get_json({"-n", cache.namespace_name, "get", "pods", "-l", cache_pod_selector(cache), "-o", "json"},
                         "listing the cache pods");
    std::vector<std::string> names = pod_names(pods);
    std::string waiting = names.empty() ? "no cache pod exists yet" : "";
    for (const auto& pod : names) {
      std::string path = "/api/v1/namespaces/" + cache.namespace_name + "/pods/" + pod + ":" +
                         std::to_string(cache_port) + "/proxy/images";
      try {
        Json images = kubectl.get_json({"get", "--raw", path}, "asking " + pod);
        if (!cache_reports_module(images, request.module.wasm_sha256)) {
          waiting = "pod " + pod + " does not have the module yet";
        }
      } catch (const Error& e) {
        waiting = "pod " + pod + " did not answer: " + e.what();
      }
      if (!waiting.empty()) break;
    }
    if (waiting.empty()) return;
    if (clock.now() >= deadline) {
      throw Error(ErrorKind::external, "the cache did not report " + request.module.reference + " in time: " + waiting,
                  "see kubectl -n " + cache.namespace_name + " logs daemonset/" + cache.name +
                      ", or give it longer with --cache-timeout");
    }
    clock.sleep_for(options.poll_interval);
  }
}

void add_image(const IstioDeployRequest& request, Kubectl& kubectl, const Json& config_map, Steps& steps) {
  const CacheOptions& cache = request.cache;
  std::string current;
  const Json& data = config_map.contains("data") ? config_map.at("data") : Json::object();
  if (data.contains(cache_images_key) && data.at(std::string(cache_images_key)).is_string()) {
    current = data.at(std::string(cache_images_key)).get<std::string>();
  }
  auto images = parse_images_value(current);
  if (std::find(images.begin(), images.end(), request.module.reference) != images.end()) {
    steps.done("the cache already lists " + request.module.reference);
    return;
  }
  images.push_back(request.module.reference);
  // resourceVersion makes a concurrent edit fail instead of being overwritten
  Json patch = {{"data", {{cache_images_key, images_value(images)}}}};
  const Json& meta = config_map.contains("metadata") ? config_map.at("metadata") : Json::object();
  if (meta.contains("resourceVersion")) patch["metadata"] = {{"resourceVersion", meta.at("resourceVersion")}};
  kubectl.merge_patch(cache.namespace_name, "configmap/" + cache.name, patch, "updating the image list");
  steps.done("added " + request.module.reference + " to configmap/" + cache.name);
}

}  // namespace

bool cache_reports_module(const Json& images, const std::string& wasm_sha256) {
  if (images.is_object()) {
    auto it = images.find("digest");
    if (it != images.end() && it->is_string()) {
      const std::string& d = it->get_ref<const std::string&>();
      if (d == "sha256:" + wasm_sha256 || d == wasm_sha256) return true;
    }
  }
  if (images.is_object() || images.is_array()) {
    for (const auto& item : images) {
      if (cache_reports_module(item, wasm_sha256)) return true;
    }
  }
  return false;
}

ApplyResult apply_istio_deploy(const IstioDeployRequest& request, Kubectl& kubectl, const ApplyOptions& options,
                               const Log& log, Clock& clock) {
  render::check_request(request);  // before any kubectl call
  ApplyResult result;
  Steps steps(log);
  bool cache_mode = request.mode == DeployMode::envoy_filter;
  std::vector<Workload> workloads;
  if (cache_mode || !request.workload_files.empty()) {
    workloads = steps.run("finding the workloads", [&] { return find_workloads(request, kubectl); });
  }
  std::vector<Json> filters;  // rendered before any change, so bad input changes nothing
  for (const auto& w : workloads) filters.push_back(filter_for(request, &w));
  if (workloads.empty()) filters.push_back(filter_for(request, nullptr));

  if (cache_mode) {
    const CacheOptions& cache = request.cache;
    Json config_map = steps.run("reading the cache's image list", [&] {
      return kubectl.get_json(
          {"-n", cache.namespace_name, "get", "configmap", cache.name, "-o", "json", "--ignore-not-found"},
          "reading configmap/" + cache.name);
    });
    steps.run("applying the cache", [&] {
      CacheOptions with_image = cache;
      with_image.images = {request.module.reference};
      std::vector<Json> objects;
      for (Json& o : cache_objects(with_image)) {
        if (o["kind"] == "ConfigMap" && !config_map.is_null()) continue;  // patched below instead
        objects.push_back(std::move(o));
      }
      kubectl.apply(objects, "applying the cache objects");
      for (const Json& o : objects) steps.done("applied " + resource_name(o));
    });
    steps.undo("kubectl -n " + cache.namespace_name + " delete daemonset/" + cache.name + " configmap/" + cache.name +
               " serviceaccount/" + cache.name + "   # only if no other filter uses the cache");
    if (!config_map.is_null()) {
      steps.run("adding the image to the cache", [&] { add_image(request, kubectl, config_map, steps); });
      steps.undo("kubectl -n " + cache.namespace_name + " edit configmap/" + cache.name + "   # remove " +
                 request.module.reference);
    }
    steps.run("waiting for the cache", [&] { wait_for_cache(request, kubectl, options, clock); });
    steps.done("every cache pod has " + request.module.reference);
    for (const auto& w : workloads) {
      steps.run("patching " + w.ref(), [&] {
        Json required = annotations_for(request, &w);
        Json changes = annotation_changes(w.annotations, required);
        if (changes.empty()) {
          steps.done(w.ref() + " already has the annotations");
          return;
        }
        kubectl.merge_patch(w.namespace_name, w.ref(), template_patch(changes), "patching " + w.ref());
        steps.done("patched " + w.ref() + " in namespace " + w.namespace_name);
        Json after = render::merge_patch(w.annotations, changes);
        std::vector<std::string> undo = kubectl.argv({"-n", w.namespace_name, "patch", w.ref(), "--type=merge",
                                                      "-p=" + template_patch(restore_changes(after, required)).dump()});
        steps.undo(shell_quote(undo));
      });
      result.workloads.push_back(w.namespace_name + "/" + w.ref());
    }
  }
  steps.run("applying the filter", [&] {
    kubectl.apply(filters, "applying the filter");
    for (const Json& f : filters) {
      steps.done("applied " + resource_name(f) + " in namespace " + f["metadata"]["namespace"].get<std::string>());
      result.filters.push_back(f["metadata"]["namespace"].get<std::string>() + "/" + resource_name(f));
    }
  });
  return result;
}

}  // namespace wasme::kube
