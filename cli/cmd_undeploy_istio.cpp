// wasme undeploy istio --id ID: remove a filter deployed by `deploy istio --apply`, restoring
// the workloads' annotations and the cache's image list when nothing else needs them.
#include <iostream>

#include "cli/choices.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "wasme/kube/undeploy.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string id, labels, namespace_name = "default", workload_type = "deployment", mode = "envoyfilter";
  std::string cache_namespace = "wasme", cache_name = "wasme-cache";
  std::string kubeconfig, context;
  bool dry_run = false;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& f) {
  kube::IstioUndeployRequest request;
  request.id = f.id;
  if (!f.labels.empty()) request.labels = render::parse_labels(f.labels);
  request.namespace_name = f.namespace_name;
  request.workload_kind = render::parse_workload_kind(f.workload_type);
  request.mode = render::parse_deploy_mode(f.mode);
  request.cache.namespace_name = f.cache_namespace;
  request.cache.name = f.cache_name;
  request.dry_run = f.dry_run ? kube::DryRun::yes : kube::DryRun::no;
  kube::Kubectl kubectl(system_process_runner(), {"kubectl", f.kubeconfig, f.context});
  Log log = note_log();
  kube::UndeployResult result = kube::undeploy_istio(request, kubectl, log);
  if (f.output == OutputFormat::json) {
    print_json({{"dryRun", f.dry_run}, {"filters", result.filters}, {"commands", result.commands}});
    return;
  }
  if (f.dry_run) {
    for (const auto& command : result.commands) std::cout << command << "\n";
    return;
  }
  for (const auto& filter : result.filters) std::cout << "removed " << filter << "\n";
}

void setup(CLI::App& app, GlobalOptions&) {
  auto f = std::make_shared<Flags>();
  app.add_option("--id", f->id, "The id given to deploy")->required();
  app.add_option("-l,--labels", f->labels, "Only filters whose selector includes k=v[,k=v]");
  app.add_option("-n,--namespace", f->namespace_name, "Namespace of the filter")->capture_default_str();
  with_choices(app.add_option("-t,--workload-type", f->workload_type, "deployment, daemonset or statefulset"),
               {"deployment", "daemonset", "statefulset"})
      ->capture_default_str();
  with_choices(app.add_option("--mode", f->mode, "envoyfilter or wasmplugin"), {"envoyfilter", "wasmplugin"})
      ->capture_default_str();
  app.add_option("--cache-namespace", f->cache_namespace, "Namespace of the cache")->capture_default_str();
  app.add_option("--cache-name", f->cache_name, "Name of the cache's ConfigMap")->capture_default_str();
  app.add_option("--kubeconfig", f->kubeconfig, "kubeconfig file");
  app.add_option("--context", f->context, "kubeconfig context");
  app.add_flag("--dry-run", f->dry_run, "Print the kubectl commands that would change the cluster; change nothing");
  add_output_option(app, f->output);
  app.callback([f] { run(*f); });
}

const Registration registration{{"undeploy istio", "Remove a deployed filter and what only it needed", &setup}};

}  // namespace
}  // namespace wasme::cli
