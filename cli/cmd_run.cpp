// wasme run MODULE --upstream URL: the filter in front of an upstream, without Envoy.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/signals.hpp"
#include "wasme/host/module_source.hpp"
#include "wasme/host/proxy.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string module;
  std::string upstream;
  std::string listen = "127.0.0.1:10000";
  std::string admin;
  std::string config;
  std::string root_id;
  bool root_id_set = false;
  std::vector<std::string> clusters;
  size_t workers = 2;
  std::uint64_t max_body = 16u << 20;
  std::uint64_t max_memory = 256u << 20;
  std::uint64_t max_instructions = 100'000'000;
  StoreOption store;
};

host::ProxyOptions proxy_options(const Flags& f, const host::LoadedModule& module) {
  host::ProxyOptions o;
  o.listen = host::parse_endpoint(f.listen, "--listen", true);
  o.upstream = host::parse_endpoint(f.upstream, "--upstream", false);
  if (!f.admin.empty()) o.admin = host::parse_endpoint(f.admin, "--admin", true);
  for (const auto& c : f.clusters) {
    auto eq = c.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(ErrorKind::usage, "--cluster " + c + ": expected NAME=http://HOST:PORT");
    o.clusters[c.substr(0, eq)] = host::parse_endpoint(c.substr(eq + 1), "--cluster " + c.substr(0, eq), false);
  }
  o.workers = f.workers;
  o.max_body = f.max_body;
  o.vm.root_id = f.root_id_set ? f.root_id : module.root_id;
  o.vm.plugin_config = f.config;
  o.vm.plugin_name = "wasme-run";
  o.vm.limits = {f.max_memory, f.max_instructions};
  o.vm.log = [](host::LogLevel level, const std::string& line) {
    std::string safe;
    for (unsigned char c : line)
      safe += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);               // no terminal control from the module
    std::cerr << "[" + std::string(host::to_string(level)) + "] " + safe + "\n";  // one write a line
  };
  return o;
}

void run(const Flags& flags) {
  host::LoadedModule module = host::load_module(flags.module, flags.store.open());
  host::ProxyOptions options = proxy_options(flags, module);
  auto engine = host::make_wabt_engine();
  BlockedSignals signals;  // before the proxy's threads start, so they inherit the mask
  host::Proxy proxy(*engine, std::move(module.bytes), options);
  proxy.start();
  // One write: whoever watches stderr for the address sees the whole line at once.
  std::string banner = "wasme run: " + module.description + " on http://" + options.listen.host + ":" +
                       std::to_string(proxy.port()) + ", forwarding to http://" + options.upstream.str();
  if (options.admin) banner += ", admin on http://" + options.admin->host + ":" + std::to_string(proxy.admin_port());
  std::cerr << banner + "\n" << std::flush;
  int sig = 0;
  while ((sig = signals.wait_briefly()) == 0) {
  }
  std::cerr << "wasme run: received " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << "; stopping" << std::endl;
  proxy.stop();
  std::cerr << proxy.stats_text();
}

void setup(CLI::App& app, GlobalOptions&) {
  auto f = std::make_shared<Flags>();
  app.add_option("MODULE", f->module, "A stored image reference or a .wasm file")->required();
  app.add_option("--upstream", f->upstream, "Where requests go: http://HOST:PORT")->required();
  app.add_option("--listen", f->listen, "Address to serve on (port 0 picks a free one)")->capture_default_str();
  app.add_option("--admin", f->admin, "Serve GET /stats (the filter's metrics, as Envoy's admin) on ADDR:PORT");
  app.add_option("--config", f->config, "The plugin configuration (a string, often JSON)");
  app.add_option("--root-id", f->root_id, "Root id (default: the image's first)")->each([f](const std::string&) {
    f->root_id_set = true;
  });
  app.add_option("--cluster", f->clusters, "Where proxy_http_call to NAME goes: NAME=http://HOST:PORT (repeatable)");
  app.add_option("--workers", f->workers, "Worker threads, each with its own VM")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--max-body", f->max_body, "Largest body buffered (default 16MiB; over it, 413)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--max-memory", f->max_memory, "Memory each VM may use (default 256MiB)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--max-instructions", f->max_instructions, "Instructions one callback may run (default 100000000)");
  add_store_option(app, f->store);
  app.callback([f] { run(*f); });
}

const Registration registration{
    {"run", "Run a filter in front of an upstream, without Envoy (HTTP/1.1 proxy)", &setup}};

}  // namespace
}  // namespace wasme::cli
