#pragma once
#include <string>
#include <string_view>

#include "wasme/render/yaml.hpp"

namespace wasme::render {

// host and port of --upstream.
struct HostPort {
  std::string host;
  int port = 0;
  // "host:port", "10.0.0.1:80", "[::1]:8080"; throws Error(usage) naming the problem.
  static HostPort parse(std::string_view text);
};

// A standalone Envoy running one filter in front of one upstream.
struct EnvoyBootstrapOptions {
  std::string id;
  std::string root_id;
  std::string config;       // the filter's configuration string
  std::string module_path;  // absolute path of the .wasm file
  HostPort upstream{"127.0.0.1", 9080};
  int listen_port = 8080;
  int admin_port = 19000;  // on 127.0.0.1 only
};

// Envoy v3 bootstrap: listener -> HTTP connection manager with envoy.filters.http.wasm
// (envoy.extensions.filters.http.wasm.v3.Wasm, code.local.filename) before the router ->
// the upstream cluster; admin on loopback. Throws Error(usage) on a bad port or empty id.
Json envoy_bootstrap(const EnvoyBootstrapOptions& options);

}  // namespace wasme::render
