// wasme deploy istio IMAGE --id ID: render (or --apply) everything a cluster needs to run a
// filter: the node cache, the workloads' annotations and the EnvoyFilter (or a WasmPlugin).
#include <iostream>

#include "cli/choices.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/deploy_image.hpp"
#include "cli/verify_key.hpp"
#include "cli/output.hpp"
#include "wasme/core/error.hpp"
#include "wasme/kube/apply.hpp"
#include "wasme/kube/istio_detect.hpp"
#include "wasme/render/deploy.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string image, id, root_id, config, labels, namespace_name = "default";
  std::string workload_type = "deployment", istio_version, patch_context = "inbound";
  std::string mode = "envoyfilter";
  std::vector<int> ports;
  std::vector<std::string> workload_files;
  std::string cache_namespace = "wasme", cache_name = "wasme-cache", cache_image, cache_pull_secret;
  std::string image_pull_policy, image_pull_secret, phase, fail_strategy, type, revision;
  std::vector<std::string> target_refs, vm_env;
  std::optional<int> priority;
  bool apply = false;
  std::string kubeconfig, context;
  double cache_timeout_seconds = 60;
  StoreOption store;
  RegistryFlags registry;
  std::string verify_key;
  OutputFormat output = OutputFormat::text;
};

std::vector<std::pair<std::string, std::string>> parse_env(const std::vector<std::string>& pairs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& pair : pairs) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ErrorKind::usage, "invalid --vm-env \"" + pair + "\"",
                  "write NAME=VALUE, e.g. --vm-env LOG_LEVEL=debug");
    }
    out.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  }
  return out;
}

kube::Kubectl cluster(const Flags& f) {
  return kube::Kubectl(system_process_runner(), {"kubectl", f.kubeconfig, f.context});
}

// --istio-version; else, with --apply, what the cluster's istiod runs; else the newest line.
render::IstioVersion istio_version(const Flags& f) {
  if (!f.revision.empty() && !f.apply) {
    throw Error(ErrorKind::usage, "--revision picks the version of a cluster's istiod; it needs --apply",
                "give --istio-version to render for a version");
  }
  if (!f.revision.empty() && !f.istio_version.empty()) {
    throw Error(ErrorKind::usage, "--revision and --istio-version both say which version to use", "give one of them");
  }
  if (!f.istio_version.empty()) return render::IstioVersion::parse(f.istio_version);
  if (!f.apply) return render::default_istio_version();
  kube::Kubectl kubectl = cluster(f);
  kube::ChosenIstio chosen = kube::detect_istio_version(kubectl, f.revision);
  note("deploying for " + chosen.description);
  return chosen.version;
}

render::IstioDeployRequest make_request(const Flags& f, const GlobalOptions& globals) {
  render::IstioDeployRequest r;
  r.id = f.id;
  r.root_id = f.root_id;
  r.config = f.config;
  if (!f.labels.empty()) r.labels = render::parse_labels(f.labels);
  r.namespace_name = f.namespace_name;
  r.workload_kind = render::parse_workload_kind(f.workload_type);
  r.mode = render::parse_deploy_mode(f.mode);
  r.context = render::parse_patch_context(f.patch_context);
  r.ports = f.ports;
  r.cache.namespace_name = f.cache_namespace;
  r.cache.name = f.cache_name;
  if (!f.cache_image.empty()) r.cache.image = f.cache_image;
  if (!f.cache_pull_secret.empty()) r.cache.pull_secret = f.cache_pull_secret;
  r.plugin.image_pull_policy = f.image_pull_policy;
  r.plugin.image_pull_secret = f.image_pull_secret;
  r.plugin.phase = f.phase;
  r.plugin.priority = f.priority;
  r.plugin.fail_strategy = f.fail_strategy;
  r.plugin.type = f.type;
  for (const auto& t : f.target_refs) r.plugin.targets.push_back(render::IstioTarget::parse(t));
  r.plugin.vm_env = parse_env(f.vm_env);
  for (const auto& file : f.workload_files) r.workload_files.emplace_back(file);
  // Bad flags fail before the cluster is asked anything (the newest line has every field),
  // then what the version lacks, before anything is pulled.
  r.istio = f.istio_version.empty() ? render::default_istio_version() : render::IstioVersion::parse(f.istio_version);
  render::check_request(r);
  r.istio = istio_version(f);
  render::check_request(r);
  r.module = module_facts(resolve_image(f.image, f.store, f.registry, globals, f.verify_key));
  return r;
}

void render_only(const render::IstioDeployRequest& request, OutputFormat output) {
  render::IstioDeployPlan plan = render::plan_istio_deploy(request);
  for (const auto& w : plan.warnings) warn(w);
  if (output == OutputFormat::json) {
    print_json({{"apiVersion", "v1"}, {"kind", "List"}, {"items", plan.documents()}});
  } else {
    std::cout << render::to_yaml_stream(plan.documents());
  }
  if (!plan.patch_command.empty()) {
    std::cerr << "# Add the cache volume to the workloads' pod templates with this JSON merge patch:\n"
              << plan.patch.dump() << "\n# for example:\n"
              << plan.patch_command << "\n";
  }
}

void apply(const render::IstioDeployRequest& request, const Flags& f) {
  for (const std::string& warning : render::deploy_warnings(request)) warn(warning);
  kube::Kubectl kubectl = cluster(f);
  kube::ApplyOptions options;
  options.cache_timeout = std::chrono::milliseconds(static_cast<long long>(f.cache_timeout_seconds * 1000));
  Log log = note_log();
  kube::ApplyResult result = kube::apply_istio_deploy(request, kubectl, options, log);
  if (f.output == OutputFormat::json) {
    print_json({{"workloads", result.workloads}, {"filters", result.filters}});
    return;
  }
  for (const auto& filter : result.filters) std::cout << "deployed " << filter << "\n";
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto f = std::make_shared<Flags>();
  app.add_option("IMAGE", f->image, "Image reference (pulled into the local store when missing)")->required();
  app.add_option("--id", f->id, "Unique name of this filter deployment")->required();
  app.add_option("--root-id", f->root_id, "Root id of the filter (default: the image's first)");
  app.add_option("--config", f->config, "Configuration string passed to the filter (JSON for wasmplugin)");
  app.add_option("-l,--labels", f->labels, "Workload selector k=v[,k=v] (default: every workload of the type)");
  app.add_option("-n,--namespace", f->namespace_name, "Namespace of the workloads")->capture_default_str();
  with_choices(app.add_option("-t,--workload-type", f->workload_type, "deployment, daemonset or statefulset"),
               {"deployment", "daemonset", "statefulset"})
      ->capture_default_str();
  app.add_option("--istio-version", f->istio_version,
                 "Istio version: picks the EnvoyFilter form and filter names and the WasmPlugin fields, "
                 "and is checked against the module's ABI (docs/ISTIO.md)")
      ->default_str(render::default_istio_version().str() + "; with --apply, what the cluster's istiod runs");
  app.add_option("--revision", f->revision, "With --apply: the istiod revision (istio.io/rev) whose version to use");
  with_choices(app.add_option("--patch-context", f->patch_context, "inbound, outbound, gateway or any"),
               {"inbound", "outbound", "gateway", "any"})
      ->capture_default_str();
  app.add_option("--port", f->ports, "Workload port (repeatable; Istio 1.4 needs them, -f supplies them)")
      ->check(CLI::Range(1, 65535));
  with_choices(app.add_option("--mode", f->mode, "envoyfilter (node cache) or wasmplugin (Istio 1.12+)"),
               {"envoyfilter", "wasmplugin"})
      ->capture_default_str();
  app.add_option("-f,--workload-file", f->workload_files, "Workload manifest to include, patched (repeatable)")
      ->check(CLI::ExistingFile);
  app.add_option("--cache-namespace", f->cache_namespace, "Namespace of the cache")->capture_default_str();
  app.add_option("--cache-name", f->cache_name, "Name of the cache's DaemonSet and ConfigMap")->capture_default_str();
  app.add_option("--cache-image", f->cache_image,
                 "Container image of the cache (default " + render::default_cache_image() + ")");
  app.add_option("--cache-pull-secret", f->cache_pull_secret,
                 "dockerconfigjson Secret in the cache namespace for private registries");
  with_choices(app.add_option("--image-pull-policy", f->image_pull_policy, "wasmplugin: IfNotPresent or Always"),
               {"IfNotPresent", "Always"});
  app.add_option("--image-pull-secret", f->image_pull_secret, "wasmplugin: Secret for the image");
  with_choices(app.add_option("--phase", f->phase, "wasmplugin: AUTHN, AUTHZ or STATS"), {"AUTHN", "AUTHZ", "STATS"});
  app.add_option("--priority", f->priority, "wasmplugin: order within the phase");
  with_choices(app.add_option("--fail-strategy", f->fail_strategy,
                              "wasmplugin: FAIL_CLOSE or FAIL_OPEN (Istio 1.19+), FAIL_RELOAD (1.27+)"),
               {"FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"});
  with_choices(app.add_option("--type", f->type, "wasmplugin: HTTP or NETWORK (Istio 1.20+)"), {"HTTP", "NETWORK"});
  app.add_option("--target-ref", f->target_refs,
                 "wasmplugin: Gateway/NAME, Service/NAME or ServiceEntry/NAME to attach to instead of "
                 "--labels (repeatable; Istio 1.20+, several 1.22+; Service 1.23+, ServiceEntry 1.24+)");
  app.add_option("--vm-env", f->vm_env, "wasmplugin: NAME=VALUE for the VM's environment (repeatable; Istio 1.14+)");
  app.add_flag("--apply", f->apply, "Apply to the cluster with kubectl instead of printing");
  app.add_option("--kubeconfig", f->kubeconfig, "kubeconfig for --apply");
  app.add_option("--context", f->context, "kubeconfig context for --apply");
  app.add_option("--cache-timeout", f->cache_timeout_seconds, "How long --apply waits for the cache (90s, 2m)")
      ->transform(CLI::AsNumberWithUnit(std::map<std::string, double>{{"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}}))
      ->default_str("1m");
  add_store_option(app, f->store);
  add_registry_flags(app, f->registry);
  add_verify_key_option(app, f->verify_key);
  add_output_option(app, f->output);
  app.callback([f, &globals] {
    render::IstioDeployRequest request = make_request(*f, globals);
    if (f->apply) apply(request, *f);
    else render_only(request, f->output);
  });
}

const Registration registration{
    {"deploy istio", "Render (or --apply) the cache, annotations and EnvoyFilter for an image", &setup}};

}  // namespace
}  // namespace wasme::cli
