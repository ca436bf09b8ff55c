#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// The proxy-wasm ABI's numbers, as proxy-wasm/spec (abi-versions/v0.2.1/README.md) and
// proxy-wasm-cpp-host (include/proxy-wasm/wasm_api_impl.h, word.h; branch main) define them.
namespace wasme::host {

enum class WasmResult : uint32_t {
  ok = 0,
  not_found = 1,
  bad_argument = 2,
  serialization_failure = 3,
  parse_failure = 4,
  bad_expression = 5,
  invalid_memory_access = 6,
  empty = 7,
  cas_mismatch = 8,
  result_mismatch = 9,
  internal_failure = 10,
  broken_connection = 11,
  unimplemented = 12,
};

enum class LogLevel : uint32_t { trace = 0, debug, info, warn, error, critical };
const char* to_string(LogLevel level);

enum class HeaderMapType : uint32_t {
  request_headers = 0,
  request_trailers = 1,
  response_headers = 2,
  response_trailers = 3,
  grpc_initial_metadata = 4,
  grpc_trailing_metadata = 5,
  http_call_response_headers = 6,
  http_call_response_trailers = 7,
};

enum class BufferType : uint32_t {
  http_request_body = 0,
  http_response_body = 1,
  downstream_data = 2,
  upstream_data = 3,
  http_call_response_body = 4,
  grpc_receive_buffer = 5,
  vm_configuration = 6,
  plugin_configuration = 7,
  call_data = 8,
};

enum class MetricType : uint32_t { counter = 0, gauge = 1, histogram = 2 };
const char* to_string(MetricType type);

// What proxy_on_*_headers/body/trailers return: 0 continues; anything else stops the stream
// until the filter resumes it (StopIteration, StopAllIterationAndBuffer, …).
enum class FilterAction : uint32_t { continue_ = 0 };

// HTTP headers in order, keys lower-case as Envoy keeps them.
using Headers = std::vector<std::pair<std::string, std::string>>;

}  // namespace wasme::host
