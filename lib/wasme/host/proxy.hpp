#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wasme/host/engine.hpp"
#include "wasme/host/exchange.hpp"
#include "wasme/host/shared_state.hpp"
#include "wasme/host/vm.hpp"

namespace httplib {
class Server;
}

namespace wasme::host {

// An http://HOST:PORT address (an upstream, a cluster, a listener).
struct HttpEndpoint {
  std::string host;
  int port = 0;
  std::string str() const { return host + ":" + std::to_string(port); }
};
// Parses "http://host:port" (upstreams, clusters) and "host:port" (listeners, with
// allow_bare); throws Error(usage) naming the flag.
HttpEndpoint parse_endpoint(const std::string& text, const std::string& flag, bool allow_bare);

struct ProxyOptions {
  HttpEndpoint listen{"127.0.0.1", 10000};
  HttpEndpoint upstream;
  std::map<std::string, HttpEndpoint> clusters;  // where proxy_http_call goes, by cluster name
  std::optional<HttpEndpoint> admin;             // GET /stats
  VmConfig vm;                                   // root id, configuration, limits, log
  size_t workers = 4;                            // threads, each with its own VM
  uint64_t max_body = 16u << 20;                 // over this, 413
};

// `wasme run`: an HTTP/1.1 proxy that runs every request and response through the module, as
// an Envoy listener with this one filter would. One VM per worker; shared data, queues and
// metrics shared between them.
class Proxy {
 public:
  Proxy(const Engine& engine, std::string wasm, ProxyOptions options);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Starts the VMs (throws Error when the plugin refuses to start), binds the listener and
  // the admin port (throws Error naming an address in use) and serves in the background.
  void start();
  void stop();
  int port() const { return port_; }
  int admin_port() const { return admin_port_; }
  // The metrics as Envoy's admin /stats prints them ("name: value" lines).
  std::string stats_text() const;

 private:
  class VmPool;
  void serve_listener();
  void tick_loop();
  // Answers a filter's HTTP call from its --cluster (status 0 when it cannot be made).
  HttpCallResponse call_cluster(const HttpCallRequest& call) const;

  const Engine& engine_;
  std::string wasm_;
  ProxyOptions options_;
  std::shared_ptr<SharedState> shared_;
  std::unique_ptr<VmPool> pool_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<httplib::Server> admin_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
  int admin_port_ = 0;
  uint32_t filter_time_metric_ = 0;
};

}  // namespace wasme::host
