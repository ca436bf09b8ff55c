// wasme deploy envoy IMAGE --id ID: an Envoy v3 bootstrap running the filter in front of an
// upstream; runs envoy when it is on PATH, else prints (or --out writes) the bootstrap.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/deploy_image.hpp"
#include "cli/verify_key.hpp"
#include "cli/output.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/core/process.hpp"
#include "wasme/render/envoy.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string image, id, root_id, config, upstream = "127.0.0.1:9080", out;
  int listen = 8080;
  int admin_port = 19000;
  StoreOption store;
  RegistryFlags registry;
  std::string verify_key;
  OutputFormat output = OutputFormat::text;
};

render::Json bootstrap(const Flags& f, const GlobalOptions& globals) {
  if (f.listen == f.admin_port) {  // before anything is pulled
    throw Error(ErrorKind::usage, "--listen and --admin-port are both " + std::to_string(f.listen),
                "give Envoy's listener and its admin interface different ports");
  }
  image::ImageSummary image = resolve_image(f.image, f.store, f.registry, globals, f.verify_key);
  render::EnvoyBootstrapOptions options;
  options.id = f.id;
  options.root_id = f.root_id.empty() && !image.config.root_ids.empty() ? image.config.root_ids.front() : f.root_id;
  options.config = f.config;
  // Compat images hold the module inside a tar layer; Envoy needs the bare file.
  options.module_path =
      std::filesystem::absolute(image::lasting_module_file(f.store.open(), image, wasme_home() / "modules")).string();
  options.upstream = render::HostPort::parse(f.upstream);
  options.listen_port = f.listen;
  options.admin_port = f.admin_port;
  return render::envoy_bootstrap(options);
}

std::string text_of(const render::Json& config, OutputFormat output) {
  return output == OutputFormat::json ? config.dump(2) + "\n" : render::to_yaml(config);
}

void run(const Flags& f, const GlobalOptions& globals) {
  render::Json config = bootstrap(f, globals);
  if (!f.out.empty()) {
    write_user_file(f.out, text_of(config, f.output));
    note("wrote " + f.out + "; run it with: envoy -c " + f.out);
    return;
  }
  auto envoy = find_executable("envoy");
  if (!envoy) {
    std::cout << text_of(config, f.output);
    note("envoy is not on PATH; run the bootstrap above with: envoy -c FILE");
    return;
  }
  TempDir dir("wasme-envoy-");
  auto file = dir.path() / "envoy.yaml";
  write_file_atomic(file, render::to_yaml(config));
  note("running envoy on port " + std::to_string(f.listen) + " (admin 127.0.0.1:" + std::to_string(f.admin_port) +
       ") in front of " + f.upstream);
  ProcessRequest request;
  request.argv = {envoy->string(), "-c", file.string()};
  request.out = OutputMode::to_stderr;
  request.err = OutputMode::inherit;
  ProcessResult result = system_process_runner().run(request);
  if (!result.ok()) {
    throw Error(ErrorKind::external, "envoy stopped: " + result.describe(), "its log above says why")
        .with_exit_status(result.exit_code ? result.exit_code : 1);
  }
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto f = std::make_shared<Flags>();
  app.add_option("IMAGE", f->image, "Image reference (pulled into the local store when missing)")->required();
  app.add_option("--id", f->id, "Name of the filter")->required();
  app.add_option("--root-id", f->root_id, "Root id of the filter (default: the image's first)");
  app.add_option("--config", f->config, "Configuration string passed to the filter");
  app.add_option("--upstream", f->upstream, "Where Envoy forwards requests, HOST:PORT")->capture_default_str();
  app.add_option("--listen", f->listen, "Port Envoy listens on")->capture_default_str()->check(CLI::Range(1, 65535));
  app.add_option("--admin-port", f->admin_port, "Envoy's admin port (127.0.0.1)")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--out", f->out, "Write the bootstrap here instead of running envoy");
  add_store_option(app, f->store);
  add_registry_flags(app, f->registry);
  add_verify_key_option(app, f->verify_key);
  add_output_option(app, f->output);
  app.callback([f, &globals] { run(*f, globals); });
}

const Registration registration{
    {"deploy envoy", "Run (or write the bootstrap for) a local Envoy with the filter", &setup}};

}  // namespace
}  // namespace wasme::cli
