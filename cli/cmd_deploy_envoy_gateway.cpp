// wasme deploy envoy-gateway IMAGE --id ID --target-ref KIND/NAME: render (or --apply) the
// EnvoyExtensionPolicy that runs the filter in Envoy Gateway.
#include <iostream>

#include "cli/choices.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/deploy_image.hpp"
#include "cli/verify_key.hpp"
#include "cli/output.hpp"
#include "wasme/kube/envoy_gateway_apply.hpp"
#include "wasme/render/envoy_gateway.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string image, id, root_id, config, namespace_name = "default", pull_secret, image_pull_policy;
  std::vector<std::string> targets;
  bool fail_open = false;
  bool apply = false;
  std::string kubeconfig, context;
  StoreOption store;
  RegistryFlags registry;
  std::string verify_key;
  OutputFormat output = OutputFormat::text;
};

render::EnvoyGatewayDeployRequest make_request(const Flags& f, const GlobalOptions& globals) {
  render::EnvoyGatewayDeployRequest r;
  r.id = f.id;
  r.root_id = f.root_id;
  r.config = f.config;
  r.namespace_name = f.namespace_name;
  for (const auto& t : f.targets) r.targets.push_back(render::PolicyTarget::parse(t));
  r.fail_open = f.fail_open;
  r.pull_secret = f.pull_secret;
  r.image_pull_policy = f.image_pull_policy;
  render::check_request(r);  // bad flags fail before anything is pulled
  image::ImageSummary image = resolve_image(f.image, f.store, f.registry, globals, f.verify_key);
  // Envoy Gateway fetches the image itself (internal/wasm/imagefetcher.go): say now, not when
  // the policy reports an error in the cluster, that it cannot read this layout.
  if (auto warning = layout_warning(image, "envoy-gateway", "Envoy Gateway")) warn(*warning);
  // proxy-wasm-cpp-host (Envoy's wasm host) loads ABI 0.1.0, 0.2.0 and 0.2.1 only.
  if (wasm::runtime_abi_version(image.module_abi).empty()) {
    warn(image.reference.str() + " exports no proxy-wasm ABI version Envoy loads (module ABI: " +
         wasm::to_string(image.module_abi) + "); Envoy Gateway's Envoy will refuse the module");
  }
  r.module = module_facts(image);
  return r;
}

void run(const Flags& f, const GlobalOptions& globals) {
  render::EnvoyGatewayDeployRequest request = make_request(f, globals);
  if (f.apply) {
    kube::Kubectl kubectl(system_process_runner(), {"kubectl", f.kubeconfig, f.context});
    std::string name = kube::apply_envoy_gateway_deploy(request, kubectl);
    if (f.output == OutputFormat::json) return print_json({{"policies", {name}}});
    std::cout << "deployed " << name << "\n";
    return;
  }
  render::Json policy = render::envoy_extension_policy(request);
  if (f.output == OutputFormat::json) return print_json(policy);
  std::cout << render::to_yaml_stream({policy});
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto f = std::make_shared<Flags>();
  app.add_option("IMAGE", f->image, "Image reference (pulled into the local store when missing)")->required();
  app.add_option("--id", f->id, "Unique name of this filter deployment (the policy is wasme-ID)")->required();
  app.add_option("--target-ref", f->targets,
                 "What the filter attaches to: Gateway/NAME, HTTPRoute/NAME or "
                 "GRPCRoute/NAME (repeatable)")
      ->required();
  app.add_option("-n,--namespace", f->namespace_name, "Namespace of the policy and its targets")->capture_default_str();
  app.add_option("--root-id", f->root_id, "Root id of the filter (default: the image's first)");
  app.add_option("--config", f->config, "Configuration passed to the filter, as JSON");
  app.add_flag("--fail-open", f->fail_open, "Let traffic through when the filter cannot be loaded or crashes");
  app.add_option("--pull-secret", f->pull_secret, "Secret (dockerconfigjson) in the namespace for a private registry");
  with_choices(app.add_option("--image-pull-policy", f->image_pull_policy, "IfNotPresent or Always"),
               {"IfNotPresent", "Always"});
  app.add_flag("--apply", f->apply, "Apply to the cluster with kubectl instead of printing");
  app.add_option("--kubeconfig", f->kubeconfig, "kubeconfig for --apply");
  app.add_option("--context", f->context, "kubeconfig context for --apply");
  add_store_option(app, f->store);
  add_registry_flags(app, f->registry);
  add_verify_key_option(app, f->verify_key);
  add_output_option(app, f->output);
  app.callback([f, &globals] { run(*f, globals); });
}

const Registration registration{{"deploy envoy-gateway",
                                 "Render (or --apply) an EnvoyExtensionPolicy running the filter in Envoy Gateway",
                                 &setup}};

}  // namespace
}  // namespace wasme::cli
