#include "wasme/render/envoy.hpp"

#include <arpa/inet.h>

#include "wasme/core/error.hpp"

namespace wasme::render {
namespace {

void check_port(int port, const char* flag) {
  if (port < 1 || port > 65535) {
    throw Error(ErrorKind::usage, std::string(flag) + ": port " + std::to_string(port) + " is out of range",
                "use a port from 1 to 65535");
  }
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

Json socket_address(const std::string& host, int port) {
  return {{"socket_address", {{"address", host}, {"port_value", port}}}};
}

Json wasm_filter(const EnvoyBootstrapOptions& o) {
  Json config = {{"name", o.id}, {"root_id", o.root_id}};
  if (!o.config.empty()) {
    config["configuration"] = {{"@type", "type.googleapis.com/google.protobuf.StringValue"}, {"value", o.config}};
  }
  config["vm_config"] = {
      {"vm_id", o.id}, {"runtime", "envoy.wasm.runtime.v8"}, {"code", {{"local", {{"filename", o.module_path}}}}}};
  return {{"name", "envoy.filters.http.wasm"},
          {"typed_config",
           {{"@type", "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"}, {"config", config}}}};
}

Json connection_manager(const EnvoyBootstrapOptions& o) {
  Json route = {{"name", "local_route"},
                {"virtual_hosts", Json::array({{{"name", "upstream"},
                                                {"domains", Json::array({"*"})},
                                                {"routes", Json::array({{{"match", {{"prefix", "/"}}},
                                                                         {"route", {{"cluster", "upstream"}}}}})}}})}};
  Json router = {{"name", "envoy.filters.http.router"},
                 {"typed_config", {{"@type", "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}}};
  return {{"name", "envoy.filters.network.http_connection_manager"},
          {"typed_config",
           {{"@type",
             "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"},
            {"stat_prefix", "ingress_http"},
            {"route_config", route},
            {"http_filters", Json::array({wasm_filter(o), router})}}}};
}

Json upstream_cluster(const EnvoyBootstrapOptions& o) {
  Json endpoint = {{"endpoint", {{"address", socket_address(o.upstream.host, o.upstream.port)}}}};
  return {{"name", "upstream"},
          {"connect_timeout", "5s"},
          {"type", is_ip_literal(o.upstream.host) ? "STATIC" : "STRICT_DNS"},
          {"load_assignment",
           {{"cluster_name", "upstream"}, {"endpoints", Json::array({{{"lb_endpoints", Json::array({endpoint})}}})}}}};
}

}  // namespace

HostPort HostPort::parse(std::string_view text) {
  std::string s(text);
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::usage, "invalid --upstream \"" + s + "\": " + why,
                 "write HOST:PORT, e.g. 127.0.0.1:9080 or [::1]:9080");
  };
  HostPort out;
  size_t colon;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') throw bad("unclosed [");
    out.host = s.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = s.rfind(':');
    if (colon == std::string::npos) throw bad("no port");
    out.host = s.substr(0, colon);
    if (out.host.find(':') != std::string::npos) throw bad("put an IPv6 address in brackets");
  }
  std::string port = s.substr(colon + 1);
  if (out.host.empty()) throw bad("no host");
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    throw bad("the port is not a number");
  }
  out.port = std::stoi(port);
  if (out.port < 1 || out.port > 65535) throw bad("the port is out of range");
  return out;
}

Json envoy_bootstrap(const EnvoyBootstrapOptions& o) {
  if (o.id.empty()) throw Error(ErrorKind::usage, "--id is required", "name the filter, e.g. --id add-header");
  if (o.root_id.empty()) throw Error(ErrorKind::usage, "no root id: the image lists none", "give --root-id");
  check_port(o.listen_port, "--listen");
  check_port(o.admin_port, "--admin-port");
  Json listener = {{"name", "main"},
                   {"address", socket_address("0.0.0.0", o.listen_port)},
                   {"filter_chains", Json::array({{{"filters", Json::array({connection_manager(o)})}}})}};
  return {
      {"admin", {{"address", socket_address("127.0.0.1", o.admin_port)}}},
      {"static_resources", {{"listeners", Json::array({listener})}, {"clusters", Json::array({upstream_cluster(o)})}}}};
}

}  // namespace wasme::render
