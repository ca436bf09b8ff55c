// The part of the proxy-wasm ABI 0.2.1 this filter uses, with no SDK and no code generator:
// the host functions Envoy provides (module "env"), the enums they take, and small C++
// wrappers. The spec: https://github.com/proxy-wasm/spec/tree/master/abi-versions/v0.2.1
//
// A module built against it exports proxy_abi_version_0_2_1 (which tells the host the ABI)
// and the proxy_on_* callbacks it implements; see filter.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace proxy_wasm {

// Status every host function returns.
enum class WasmResult : uint32_t {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  BadExpression = 5,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  ResultMismatch = 9,
  InternalFailure = 10,
  BrokenConnection = 11,
  Unimplemented = 12,
};

enum class LogLevel : uint32_t { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Critical = 5 };

// Buffers a filter can read with proxy_get_buffer_bytes.
enum class BufferType : uint32_t {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  DownstreamData = 2,
  UpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcReceiveBuffer = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  CallData = 8,
};

// Header maps a filter can change with proxy_add_header_map_value and friends.
enum class HeaderMapType : uint32_t {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4,
  GrpcReceiveTrailingMetadata = 5,
  HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
};

// What proxy_on_*_headers returns.
enum class FilterHeadersStatus : uint32_t { Continue = 0, StopIteration = 1 };

}  // namespace proxy_wasm

#define PROXY_WASM_IMPORT(name) extern "C" __attribute__((import_module("env"), import_name(#name)))
#define PROXY_WASM_EXPORT(name) extern "C" __attribute__((export_name(#name)))

// Host functions (imports). Pointers are 32-bit offsets into this module's memory.
PROXY_WASM_IMPORT(proxy_log)
proxy_wasm::WasmResult proxy_log(proxy_wasm::LogLevel level, const char* message, size_t size);

// The host allocates the copy with this module's proxy_on_memory_allocate; we free it.
PROXY_WASM_IMPORT(proxy_get_buffer_bytes)
proxy_wasm::WasmResult proxy_get_buffer_bytes(proxy_wasm::BufferType type, size_t start,
                                              size_t max_size, const char** data, size_t* size);

PROXY_WASM_IMPORT(proxy_add_header_map_value)
proxy_wasm::WasmResult proxy_add_header_map_value(proxy_wasm::HeaderMapType type, const char* key,
                                                  size_t key_size, const char* value,
                                                  size_t value_size);

PROXY_WASM_IMPORT(proxy_replace_header_map_value)
proxy_wasm::WasmResult proxy_replace_header_map_value(proxy_wasm::HeaderMapType type,
                                                      const char* key, size_t key_size,
                                                      const char* value, size_t value_size);

namespace proxy_wasm {

inline void log(LogLevel level, std::string_view message) {
  proxy_log(level, message.data(), message.size());
}

// The whole buffer (or its first max_size bytes); empty when the host has none.
inline std::string get_buffer(BufferType type, size_t max_size) {
  const char* data = nullptr;
  size_t size = 0;
  if (proxy_get_buffer_bytes(type, 0, max_size, &data, &size) != WasmResult::Ok || !data) return {};
  std::string out(data, size);
  ::free(const_cast<char*>(data));
  return out;
}

inline WasmResult add_header(HeaderMapType map, std::string_view key, std::string_view value) {
  return proxy_add_header_map_value(map, key.data(), key.size(), value.data(), value.size());
}

inline WasmResult replace_header(HeaderMapType map, std::string_view key, std::string_view value) {
  return proxy_replace_header_map_value(map, key.data(), key.size(), value.data(), value.size());
}

}  // namespace proxy_wasm
