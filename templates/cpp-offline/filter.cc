// {{NAME}}: adds a response header whose value comes from the filter's configuration,
// e.g. {"value": "hello"} adds "newheader: hello" to every response.
//
// Written directly against the proxy-wasm ABI 0.2.1 (proxy_wasm_0_2_1.h): the host calls
// the proxy_on_* functions this file exports, in this order for one request:
//   proxy_on_context_create(root, 0)  proxy_on_vm_start  proxy_on_configure   (once per plugin)
//   proxy_on_context_create(http, root)  proxy_on_request_headers  proxy_on_response_headers
//   proxy_on_done  proxy_on_log  proxy_on_delete                              (per request)
#include <unordered_map>

#include "add_header_config.h"
#include "proxy_wasm_0_2_1.h"

using namespace proxy_wasm;

namespace {

// The root id Envoy/Istio configure this plugin with (also in runtime-config.json).
constexpr std::string_view kRootId = "{{ROOT_ID}}";

// One configuration per root context (one per plugin instance in the proxy).
std::unordered_map<uint32_t, AddHeaderConfig> configs;
// Which root context each HTTP stream belongs to.
std::unordered_map<uint32_t, uint32_t> stream_roots;

}  // namespace

PROXY_WASM_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1() {}

// The host copies buffers (configuration, bodies) into memory it gets from here.
PROXY_WASM_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) {
  return ::malloc(size);
}

PROXY_WASM_EXPORT(proxy_on_context_create)
void proxy_on_context_create(uint32_t context_id, uint32_t root_context_id) {
  if (root_context_id == 0) {
    configs[context_id];  // a root context: its configuration comes in proxy_on_configure
  } else {
    stream_roots[context_id] = root_context_id;
  }
}

PROXY_WASM_EXPORT(proxy_on_vm_start) uint32_t proxy_on_vm_start(uint32_t, size_t) {
  log(LogLevel::Info, std::string("add-header filter started, root id ") + std::string(kRootId));
  return 1;
}

PROXY_WASM_EXPORT(proxy_on_configure)
uint32_t proxy_on_configure(uint32_t root_context_id, size_t configuration_size) {
  AddHeaderConfig config;
  std::string error =
      parse_add_header_config(get_buffer(BufferType::PluginConfiguration, configuration_size), config);
  if (!error.empty()) {
    log(LogLevel::Error, "add-header: bad configuration: " + error);
    return 0;  // the proxy rejects the configuration
  }
  log(LogLevel::Debug, "add-header: will add " + config.name + ": " + config.value);
  configs[root_context_id] = config;
  return 1;
}

PROXY_WASM_EXPORT(proxy_on_request_headers)
FilterHeadersStatus proxy_on_request_headers(uint32_t, uint32_t, uint32_t) {
  return FilterHeadersStatus::Continue;
}

PROXY_WASM_EXPORT(proxy_on_response_headers)
FilterHeadersStatus proxy_on_response_headers(uint32_t context_id, uint32_t, uint32_t) {
  auto root = stream_roots.find(context_id);
  if (root == stream_roots.end()) return FilterHeadersStatus::Continue;
  auto config = configs.find(root->second);
  if (config != configs.end() && !config->second.value.empty()) {
    add_header(HeaderMapType::ResponseHeaders, config->second.name, config->second.value);
  }
  return FilterHeadersStatus::Continue;
}

PROXY_WASM_EXPORT(proxy_on_done) uint32_t proxy_on_done(uint32_t) { return 1; }

PROXY_WASM_EXPORT(proxy_on_log) void proxy_on_log(uint32_t) {}

PROXY_WASM_EXPORT(proxy_on_delete) void proxy_on_delete(uint32_t context_id) {
  stream_roots.erase(context_id);
  configs.erase(context_id);
}
