// wasme undeploy envoy-gateway --id ID: remove the EnvoyExtensionPolicy deploy made.
#include <iostream>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "wasme/kube/envoy_gateway_apply.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string id, namespace_name = "default", kubeconfig, context;
  bool dry_run = false;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& f) {
  kube::Kubectl kubectl(system_process_runner(), {"kubectl", f.kubeconfig, f.context});
  std::vector<std::string> removed =
      kube::undeploy_envoy_gateway(f.id, f.namespace_name, kubectl, f.dry_run ? kube::DryRun::yes : kube::DryRun::no);
  if (f.output == OutputFormat::json) return print_json({{"dryRun", f.dry_run}, {"policies", removed}});
  for (const auto& name : removed) std::cout << (f.dry_run ? "would remove " : "removed ") << name << "\n";
}

void setup(CLI::App& app, GlobalOptions&) {
  auto f = std::make_shared<Flags>();
  app.add_option("--id", f->id, "The id given to deploy")->required();
  app.add_option("-n,--namespace", f->namespace_name, "Namespace of the policy")->capture_default_str();
  app.add_option("--kubeconfig", f->kubeconfig, "kubeconfig file");
  app.add_option("--context", f->context, "kubeconfig context");
  app.add_flag("--dry-run", f->dry_run, "Name the policies that would be removed; change nothing");
  add_output_option(app, f->output);
  app.callback([f] { run(*f); });
}

const Registration registration{{"undeploy envoy-gateway", "Remove a filter deployed to Envoy Gateway", &setup}};

}  // namespace
}  // namespace wasme::cli
