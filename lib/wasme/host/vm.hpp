#pragma once
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/host/engine.hpp"
#include "wasme/host/exchange.hpp"
#include "wasme/host/shared_state.hpp"
#include "wasme/wasm/module.hpp"

namespace wasme::host {

struct VmConfig {
  std::string root_id;
  std::string vm_id;
  std::string plugin_name = "wasme";
  std::string plugin_config;
  std::string vm_config;
  InstanceLimits limits;
  LogLevel log_level = LogLevel::trace;  // what proxy_get_log_level answers
  // The module's log lines (proxy_log, and WASI stdout/stderr as info/error).
  std::function<void(LogLevel, const std::string&)> log;
  std::function<uint64_t()> now_ns;  // wall clock in ns; the system clock when empty
  // Clusters proxy_http_call may name (others are a bad argument at once, as in Envoy); any
  // when unset (wasme test answers every call from the case).
  std::optional<std::set<std::string>> known_clusters;
  // Extra properties by dotted path ("node.metadata.NAME": "x"), strings as given.
  std::map<std::string, std::string> properties;
};

struct VmState;  // vm_state.hpp: what the host functions share with the VM

// A proxy-wasm VM running one plugin (one root context), as one Envoy worker runs it. Not
// thread-safe: one thread drives a VM at a time; what VMs share lives in SharedState.
class PluginVm {
 public:
  // Instantiates the module with wasme's host functions. Refuses a module that exports no
  // proxy_abi_version_* (naming why) or imports what the host lacks (naming each import).
  PluginVm(const Engine& engine, std::string_view wasm, VmConfig config, std::shared_ptr<SharedState> shared);
  ~PluginVm();
  PluginVm(const PluginVm&) = delete;
  PluginVm& operator=(const PluginVm&) = delete;

  wasm::ProxyAbi abi() const;
  const VmConfig& config() const;

  // _initialize, the root context, proxy_on_vm_start and proxy_on_configure, as Envoy starts a
  // plugin. Throws Error naming the callback that refused or trapped.
  void start();

  // After a trap or a spent budget the VM stays failed (Envoy fails every later stream).
  bool failed() const;
  const std::string& failure() const;

  // One HTTP stream: a context whose host functions read and change `exchange` (which must
  // outlive finish_stream). The on_* calls return the filter's action (0 = continue) and
  // throw Trap, naming the callback, when the module traps.
  uint32_t create_stream(Exchange& exchange);
  uint32_t on_request_headers(uint32_t context_id, bool end_of_stream);
  uint32_t on_request_body(uint32_t context_id, bool end_of_stream);
  uint32_t on_request_trailers(uint32_t context_id);
  uint32_t on_response_headers(uint32_t context_id, bool end_of_stream);
  uint32_t on_response_body(uint32_t context_id, bool end_of_stream);
  uint32_t on_response_trailers(uint32_t context_id);
  // proxy_on_done, proxy_on_log, proxy_on_delete; a trap here fails the VM, not the stream.
  void finish_stream(uint32_t context_id);

  // Work the module started that the caller completes: HTTP calls it dispatched (taken once),
  // their answers, queue notifications, ticks.
  std::vector<HttpCallRequest> take_http_calls();
  void on_http_call_response(const HttpCallRequest& call, const HttpCallResponse& response);
  void deliver_queue_notifications();
  uint32_t tick_period_ms() const;
  void tick();

 private:
  uint32_t call_stream(const char* callback, uint32_t context_id, std::vector<uint64_t> args, uint32_t missing);
  uint64_t call(const char* callback, std::vector<uint64_t> args, uint64_t missing);
  std::unique_ptr<VmState> state_;
};

}  // namespace wasme::host
