#pragma once
// Internal to lib/wasme/host: the state a PluginVm's host functions (host_functions.cpp,
// wasi.cpp, properties.cpp) work on.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wasme/host/engine.hpp"
#include "wasme/host/exchange.hpp"
#include "wasme/host/guest_memory.hpp"
#include "wasme/host/shared_state.hpp"
#include "wasme/host/vm.hpp"

namespace wasme::host {

struct VmState {
  VmConfig config;
  std::shared_ptr<SharedState> shared;
  std::unique_ptr<Instance> instance;
  std::unique_ptr<GuestMemory> memory;
  wasm::ProxyAbi abi = wasm::ProxyAbi::none;

  uint32_t root_context_id = 1;
  uint32_t next_context_id = 2;
  uint32_t current_context = 0;    // the context whose callback runs
  uint32_t effective_context = 0;  // proxy_set_effective_context, for the current callback
  std::map<uint32_t, Exchange*> streams;

  uint32_t tick_period_ms = 0;
  uint32_t next_call_token = 1;
  std::vector<HttpCallRequest> pending_calls;
  const HttpCallResponse* call_response = nullptr;  // during proxy_on_http_call_response

  std::mutex ready_mutex;  // queue notifications arrive from other VMs' threads
  std::vector<uint32_t> ready_queues;

  bool failed = false;
  std::string failure;

  uint32_t active_context() const { return effective_context ? effective_context : current_context; }
  // The stream of the active context, or nullptr (the root context has none).
  Exchange* stream() const {
    auto it = streams.find(active_context());
    return it == streams.end() ? nullptr : it->second;
  }
  uint64_t now_ns() const;
  void log(LogLevel level, const std::string& message) const {
    if (config.log) config.log(level, message);
  }
};

// What host functions return to the module: a WasmResult as the i32 the ABI carries.
constexpr uint32_t kWasmOk = static_cast<uint32_t>(WasmResult::ok);
inline uint32_t result(WasmResult r) { return static_cast<uint32_t>(r); }

// One env.proxy_* host function: params is its arity (-1: any, for the ABI's functions wasme
// answers "unimplemented"); body returns the i32 result (a WasmResult for nearly all).
struct ProxyFunction {
  std::string_view name;
  int params;
  uint32_t (*body)(VmState& state, const uint64_t* args);
};
std::vector<ProxyFunction> http_functions();    // host_http.cpp: maps, buffers, replies, calls
std::vector<ProxyFunction> shared_functions();  // host_shared.cpp: metrics, shared data, queues

// The import tables: a host function for (module, name) bound to state, or nullopt when the
// host has none or the module's signature differs from the ABI's.
std::optional<HostFunction> proxy_import(VmState& state, const ImportRequest& request);
std::optional<HostFunction> wasi_import(VmState& state, const ImportRequest& request);

// proxy_get_property: the value at a NUL-separated path, or nullopt (not_found).
std::optional<std::string> get_property(const VmState& state, std::string_view path);

}  // namespace wasme::host
