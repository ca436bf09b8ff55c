// env.proxy_*: the import table, and the functions about the VM itself (log, time, contexts,
// properties, foreign functions).
#include <chrono>

#include "wasme/host/vm_state.hpp"

namespace wasme::host {
namespace {

uint32_t log(VmState& s, const uint64_t* a) {
  auto message = s.memory->view(a[1], a[2]);
  if (!message) return result(WasmResult::invalid_memory_access);
  if (a[0] > static_cast<uint64_t>(LogLevel::critical)) return result(WasmResult::bad_argument);
  s.log(static_cast<LogLevel>(a[0]), std::string(*message));
  return kWasmOk;
}

uint32_t get_log_level(VmState& s, const uint64_t* a) {
  return s.memory->write_u32(a[0], static_cast<uint32_t>(s.config.log_level))
             ? kWasmOk
             : result(WasmResult::invalid_memory_access);
}

uint32_t get_current_time(VmState& s, const uint64_t* a) {
  return s.memory->write_u64(a[0], s.now_ns()) ? kWasmOk : result(WasmResult::invalid_memory_access);
}

uint32_t set_tick_period(VmState& s, const uint64_t* a) {
  s.tick_period_ms = static_cast<uint32_t>(a[0]);
  return kWasmOk;
}

uint32_t set_effective_context(VmState& s, const uint64_t* a) {
  const auto id = static_cast<uint32_t>(a[0]);
  if (id != s.root_context_id && !s.streams.count(id)) return result(WasmResult::bad_argument);
  s.effective_context = id;
  return kWasmOk;
}

uint32_t done(VmState&, const uint64_t*) { return kWasmOk; }

uint32_t get_property(VmState& s, const uint64_t* a) {
  auto path = s.memory->view(a[0], a[1]);
  if (!path) return result(WasmResult::invalid_memory_access);
  auto value = get_property(s, *path);
  if (!value) return result(WasmResult::not_found);
  return result(s.memory->return_bytes(*value, a[2], a[3]));
}

uint32_t set_property(VmState& s, const uint64_t* a) {
  auto path = s.memory->view(a[0], a[1]);
  auto value = s.memory->view(a[2], a[3]);
  if (!path || !value) return result(WasmResult::invalid_memory_access);
  Exchange* stream = s.stream();
  if (!stream) return result(WasmResult::not_found);  // Envoy: no stream, no filter state
  std::string key(*path);
  for (char& c : key) c = c == '\0' ? '.' : c;
  stream->filter_state[key] = std::string(*value);
  return kWasmOk;
}

// ABI 0.1.0's way to read the plugin configuration (proxy-wasm-cpp-host exports.cc).
uint32_t get_configuration(VmState& s, const uint64_t* a) {
  return result(s.memory->return_bytes(s.config.plugin_config, a[0], a[1]));
}

// No foreign functions are registered in wasme's host; Envoy answers the same for an unknown
// name (proxy-wasm-cpp-host exports.cc, call_foreign_function).
uint32_t call_foreign_function(VmState& s, const uint64_t* a) {
  if (!s.memory->view(a[0], a[1]) || !s.memory->view(a[2], a[3])) return result(WasmResult::invalid_memory_access);
  return result(WasmResult::not_found);
}

// The ABI's gRPC calls and stream status: no gRPC services exist here.
uint32_t unimplemented(VmState&, const uint64_t*) { return result(WasmResult::unimplemented); }

std::vector<ProxyFunction> vm_functions() {
  return {
      {"proxy_log", 3, log},
      {"proxy_get_log_level", 1, get_log_level},
      {"proxy_get_current_time_nanoseconds", 1, get_current_time},
      {"proxy_set_tick_period_milliseconds", 1, set_tick_period},
      {"proxy_set_effective_context", 1, set_effective_context},
      {"proxy_done", 0, done},
      {"proxy_get_property", 4, get_property},
      {"proxy_set_property", 4, set_property},
      {"proxy_call_foreign_function", 6, call_foreign_function},
      {"proxy_get_configuration", 2, get_configuration},
      {"proxy_grpc_call", -1, unimplemented},
      {"proxy_grpc_stream", -1, unimplemented},
      {"proxy_grpc_send", -1, unimplemented},
      {"proxy_grpc_cancel", -1, unimplemented},
      {"proxy_grpc_close", -1, unimplemented},
      {"proxy_get_status", -1, unimplemented},
  };
}

const std::vector<ProxyFunction>& all_functions() {
  static const std::vector<ProxyFunction> table = [] {
    std::vector<ProxyFunction> t = vm_functions();
    for (auto& f : http_functions()) t.push_back(f);
    for (auto& f : shared_functions()) t.push_back(f);
    return t;
  }();
  return table;
}

bool all_i32_or_i64(const std::vector<ValueType>& types) {
  for (auto t : types) {
    if (t != ValueType::i32 && t != ValueType::i64) return false;
  }
  return true;
}

}  // namespace

uint64_t VmState::now_ns() const {
  if (config.now_ns) return config.now_ns();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::optional<HostFunction> proxy_import(VmState& state, const ImportRequest& request) {
  if (request.module != "env") return std::nullopt;
  const auto& sig = request.signature;
  // emscripten-built modules tell the host when memory grows; nothing to do here.
  if (request.name == "emscripten_notify_memory_growth" && sig.params.size() == 1 && sig.results.empty()) {
    return HostFunction([](const uint64_t*, uint64_t*) {});
  }
  // Single-threaded modules built with pthread stubs compare thread ids (cpp-host provides it).
  if (request.name == "pthread_equal" && sig.params.size() == 2 && sig.results.size() == 1) {
    return HostFunction([](const uint64_t* args, uint64_t* results) { results[0] = args[0] == args[1] ? 1 : 0; });
  }
  for (const auto& f : all_functions()) {
    if (f.name != request.name) continue;
    if (f.params >= 0 && sig.params.size() != static_cast<size_t>(f.params)) return std::nullopt;
    if (sig.results.size() > 1 || !all_i32_or_i64(sig.params) || !all_i32_or_i64(sig.results)) return std::nullopt;
    auto body = f.body;
    VmState* s = &state;
    const bool returns = !sig.results.empty();
    return HostFunction([s, body, returns](const uint64_t* args, uint64_t* results) {
      uint32_t r = body(*s, args);
      if (returns) results[0] = r;
    });
  }
  return std::nullopt;
}

}  // namespace wasme::host
