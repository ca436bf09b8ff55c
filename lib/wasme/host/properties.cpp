// proxy_get_property: the attributes Envoy exposes to filters, for the subset a test or a local
// proxy knows (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/advanced/attributes).
// Strings are returned as bytes, integers as 8-byte little-endian (as Envoy serializes them).
#include <cstring>

#include "wasme/host/vm_state.hpp"

namespace wasme::host {
namespace {

std::string int64_bytes(int64_t v) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &v, 8);
  return out;
}

std::optional<std::string> header(const Headers& headers, std::string_view name) { return header_value(headers, name); }

std::optional<std::string> request_property(const Exchange& ex, const std::string& field, const std::string& rest) {
  const Headers& h = ex.request.headers;
  if (field == "path") return header(h, ":path");
  if (field == "url_path") {
    auto path = header(h, ":path");
    if (!path) return std::nullopt;
    return path->substr(0, path->find('?'));
  }
  if (field == "query") {
    auto path = header(h, ":path");
    if (!path || path->find('?') == std::string::npos) return std::string();
    return path->substr(path->find('?') + 1);
  }
  if (field == "host") return header(h, ":authority");
  if (field == "method") return header(h, ":method");
  if (field == "scheme") return header(h, ":scheme").value_or("http");
  if (field == "protocol") return ex.connection.protocol;
  if (field == "id") return header(h, "x-request-id").value_or(ex.connection.request_id);
  if (field == "referer") return header(h, "referer");
  if (field == "useragent") return header(h, "user-agent");
  if (field == "size") return int64_bytes(static_cast<int64_t>(ex.request.body.size()));
  if (field == "time") return int64_bytes(static_cast<int64_t>(ex.connection.start_time_ns));
  if (field == "headers" && !rest.empty()) return header(h, rest);
  return std::nullopt;
}

std::optional<std::string> response_property(const Exchange& ex, const std::string& field, const std::string& rest) {
  if (!ex.response_started) return std::nullopt;
  const Headers& h = ex.response.headers;
  if (field == "code") {
    auto status = header(h, ":status");
    if (!status) return std::nullopt;
    try {
      return int64_bytes(std::stoll(*status));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (field == "code_details") return ex.response_details;
  if (field == "size") return int64_bytes(static_cast<int64_t>(ex.response.body.size()));
  if (field == "headers" && !rest.empty()) return header(h, rest);
  return std::nullopt;
}

std::optional<std::string> address_property(const std::string& address, uint32_t port, const std::string& field) {
  if (field == "address") return address + ":" + std::to_string(port);
  if (field == "port") return int64_bytes(port);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> get_property(const VmState& state, std::string_view path) {
  // The path arrives as segments separated by NUL ("request\0headers\0x-foo").
  std::vector<std::string> parts;
  std::string current;
  for (char c : path) {
    if (c == '\0') {
      parts.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty() || parts.empty()) parts.push_back(current);
  std::string dotted;
  for (const auto& p : parts) dotted += (dotted.empty() ? "" : ".") + p;

  if (auto it = state.config.properties.find(dotted); it != state.config.properties.end()) return it->second;
  const Exchange* stream = state.stream();
  if (stream) {
    if (auto it = stream->filter_state.find(dotted); it != stream->filter_state.end()) return it->second;
  }
  if (dotted == "plugin_name") return state.config.plugin_name;
  if (dotted == "plugin_root_id") return state.config.root_id;
  if (dotted == "plugin_vm_id") return state.config.vm_id;
  if (!stream || parts.size() < 2) return std::nullopt;
  const std::string& scope = parts[0];
  const std::string& field = parts[1];
  const std::string rest = parts.size() > 2 ? parts[2] : "";
  if (scope == "request") return request_property(*stream, field, rest);
  if (scope == "response") return response_property(*stream, field, rest);
  if (scope == "source") {
    return address_property(stream->connection.source_address, stream->connection.source_port, field);
  }
  if (scope == "destination") {
    return address_property(stream->connection.destination_address, stream->connection.destination_port, field);
  }
  return std::nullopt;
}

}  // namespace wasme::host
