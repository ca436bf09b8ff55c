#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "wasme/host/abi_types.hpp"

namespace wasme::host {

// One side of an HTTP exchange. Pseudo-headers (:method, :path, :authority, :status) sit in
// the headers as Envoy keeps them.
struct HttpMessage {
  Headers headers;
  std::string body;
  Headers trailers;
};

// What proxy_send_local_response asked for.
struct LocalReply {
  uint32_t status = 0;
  std::string details;
  std::string body;
  Headers headers;
};

// Facts about the connection that properties report (source.address, request.id, …).
struct ConnectionInfo {
  std::string source_address = "127.0.0.1";
  uint32_t source_port = 0;
  std::string destination_address = "127.0.0.1";
  uint32_t destination_port = 0;
  std::string protocol = "HTTP/1.1";
  std::string request_id;
  uint64_t start_time_ns = 0;
};

// An HTTP stream as the filter's host functions see and change it.
struct Exchange {
  HttpMessage request;
  HttpMessage response;
  ConnectionInfo connection;
  std::optional<LocalReply> local_reply;
  std::map<std::string, std::string> filter_state;  // proxy_set_property
  bool resume_request = false;                      // proxy_continue_stream / proxy_continue_request
  bool resume_response = false;
  bool response_started = false;  // the filter is past the request (for response.* properties)
  std::string response_details;   // response.code_details: via_upstream, a local reply's, …
};

// proxy_http_call / proxy_dispatch_http_call as the filter made it.
struct HttpCallRequest {
  uint32_t token = 0;
  uint32_t context_id = 0;
  std::string cluster;
  Headers headers;
  std::string body;
  Headers trailers;
  uint32_t timeout_ms = 0;
};

// Its answer; status 0 means the call failed (no such cluster, refused, timed out), which the
// filter sees as a response without headers, as in Envoy.
struct HttpCallResponse {
  uint32_t status = 0;
  Headers headers;
  std::string body;
  Headers trailers;
};

// Header maps: keys compared case-insensitively (stored lower-case).
std::string lower_case(std::string_view s);
// All values of a header, comma-joined (as a client sees them); nullopt when absent.
std::optional<std::string> header_value(const Headers& headers, std::string_view key);
// The first value only, as Envoy answers a filter's proxy_get_header_map_value.
std::optional<std::string> first_header_value(const Headers& headers, std::string_view key);
void remove_header(Headers& headers, std::string_view key);
void replace_header(Headers& headers, std::string_view key, std::string_view value);

}  // namespace wasme::host
