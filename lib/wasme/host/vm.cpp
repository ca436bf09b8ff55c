// PluginVm: the calls from the host into the module, in the order Envoy makes them
// (proxy-wasm-cpp-host src/context.cc and src/wasm.cc, branch main).
#include "wasme/host/vm.hpp"

#include "wasme/core/error.hpp"
#include "wasme/host/vm_state.hpp"

namespace wasme::host {
namespace {

// A module without a proxy_abi_version_* export cannot be driven: say which ABI it has.
void check_abi(wasm::ProxyAbi abi) {
  switch (abi) {
    case wasm::ProxyAbi::v0_1_0:
    case wasm::ProxyAbi::v0_2_0:
    case wasm::ProxyAbi::v0_2_1: return;
    case wasm::ProxyAbi::istio_1_4:
    case wasm::ProxyAbi::pre_0_1_0:
      throw Error(ErrorKind::invalid_input,
                  std::string("the module targets the ") + wasm::to_string(abi) +
                      " ABI, which predates proxy-wasm 0.1.0; wasme's host runs 0.1.0, 0.2.0 and 0.2.1",
                  "rebuild it with a current proxy-wasm SDK");
    default:
      throw Error(ErrorKind::invalid_input,
                  "the module exports no proxy_abi_version_* function: it is not a proxy-wasm filter",
                  "proxy-wasm SDKs export proxy_abi_version_0_2_1 (or 0_2_0, 0_1_0)");
  }
}

bool is_clean_exit(const Trap& trap) {
  return trap.kind() == TrapKind::exit && std::string(trap.what()).find("(0)") != std::string::npos;
}

}  // namespace

PluginVm::PluginVm(const Engine& engine, std::string_view wasm, VmConfig config, std::shared_ptr<SharedState> shared)
    : state_(std::make_unique<VmState>()) {
  VmState& s = *state_;
  s.config = std::move(config);
  s.shared = shared ? std::move(shared) : std::make_shared<SharedState>();
  s.abi = wasm::read_module(wasm).abi;
  check_abi(s.abi);
  VmState* sp = &s;
  s.instance = engine.instantiate(
      wasm,
      [sp](const ImportRequest& request) -> std::optional<HostFunction> {
        if (auto f = proxy_import(*sp, request)) return f;
        return wasi_import(*sp, request);
      },
      s.config.limits);
  s.memory = std::make_unique<GuestMemory>(*s.instance);
  if (!s.instance->has_memory()) {
    throw Error(ErrorKind::invalid_input, "the module exports no memory named \"memory\"",
                "proxy-wasm modules export their linear memory as \"memory\"");
  }
  auto allocator = s.instance->find_export("malloc");
  if (!allocator) allocator = s.instance->find_export("proxy_on_memory_allocate");
  if (!allocator) {
    throw Error(ErrorKind::invalid_input, "the module exports neither malloc nor proxy_on_memory_allocate",
                "the host needs one to hand the filter headers and bodies");
  }
  s.memory->set_allocator(allocator);
  try {
    s.instance->run_start();  // now that host functions have their memory
  } catch (const Trap& trap) {
    throw Error(ErrorKind::invalid_input, std::string("running the module's start function: ") + trap.what());
  }
}

PluginVm::~PluginVm() {
  if (state_ && state_->shared) state_->shared->forget_owner(state_.get());
}

wasm::ProxyAbi PluginVm::abi() const { return state_->abi; }
const VmConfig& PluginVm::config() const { return state_->config; }
bool PluginVm::failed() const { return state_->failed; }
const std::string& PluginVm::failure() const { return state_->failure; }
uint32_t PluginVm::tick_period_ms() const { return state_->tick_period_ms; }

uint64_t PluginVm::call(const char* callback, std::vector<uint64_t> args, uint64_t missing) {
  VmState& s = *state_;
  if (s.failed) throw Trap(TrapKind::trap, "the VM failed earlier: " + s.failure);
  auto handle = s.instance->find_export(callback);
  if (!handle) return missing;  // Envoy skips callbacks a module does not export
  // ABI 0.1.0 callbacks take fewer arguments (no end_of_stream): pass what the export takes.
  args.resize(s.instance->signature(*handle).params.size(), 0);
  try {
    auto results = s.instance->call(*handle, args);
    s.effective_context = 0;
    return results.empty() ? missing : results[0];
  } catch (const Trap& trap) {
    s.effective_context = 0;
    s.failed = true;
    s.failure = std::string(callback) + ": " + trap.what();
    throw Trap(trap.kind(), s.failure);
  }
}

void PluginVm::start() {
  VmState& s = *state_;
  // As proxy-wasm-cpp-host's WasmBase::startVm: _initialize (reactors) else _start (commands),
  // then main(0, 0) when the module has one (it may register the root contexts there).
  std::vector<std::pair<const char*, std::vector<uint64_t>>> inits;
  if (s.instance->find_export("_initialize")) inits.push_back({"_initialize", {}});
  else if (s.instance->find_export("_start")) inits.push_back({"_start", {}});
  if (auto main = s.instance->find_export("main"); main && s.instance->signature(*main).params.size() <= 2) {
    inits.push_back({"main", {0, 0}});
  }
  for (const auto& [init, args] : inits) {
    try {
      call(init, args, 0);
    } catch (const Trap& trap) {
      // A command module (TinyGo) ends _start with proc_exit(0): that is a clean start.
      if (!is_clean_exit(trap))
        throw Error(ErrorKind::invalid_input, std::string("starting the module: ") + trap.what());
      s.failed = false;
      s.failure.clear();
    }
  }
  s.current_context = s.root_context_id;
  try {
    call("proxy_on_context_create", {s.root_context_id, 0}, 0);
    if (call("proxy_on_vm_start", {s.root_context_id, s.config.vm_config.size()}, 1) == 0) {
      throw Error(ErrorKind::invalid_input, "proxy_on_vm_start returned false: the module refused to start",
                  "its log lines say why");
    }
    if (call("proxy_on_configure", {s.root_context_id, s.config.plugin_config.size()}, 1) == 0) {
      throw Error(ErrorKind::invalid_input, "proxy_on_configure returned false: the filter refused its configuration",
                  "its log lines say why");
    }
  } catch (const Trap& trap) {
    throw Error(ErrorKind::invalid_input, std::string("starting the plugin: ") + trap.what());
  }
}

uint32_t PluginVm::create_stream(Exchange& exchange) {
  VmState& s = *state_;
  const uint32_t id = s.next_context_id++;
  s.streams[id] = &exchange;
  s.current_context = id;
  try {
    call("proxy_on_context_create", {id, s.root_context_id}, 0);
  } catch (...) {
    s.streams.erase(id);  // never leave a pointer to the caller's exchange behind
    throw;
  }
  return id;
}

uint32_t PluginVm::call_stream(const char* callback, uint32_t context_id, std::vector<uint64_t> args,
                               uint32_t missing) {
  state_->current_context = context_id;
  args.insert(args.begin(), context_id);
  return static_cast<uint32_t>(call(callback, std::move(args), missing));
}

uint32_t PluginVm::on_request_headers(uint32_t id, bool eos) {
  Exchange* ex = state_->streams.at(id);
  return call_stream("proxy_on_request_headers", id, {ex->request.headers.size(), eos}, 0);
}

uint32_t PluginVm::on_request_body(uint32_t id, bool eos) {
  Exchange* ex = state_->streams.at(id);
  return call_stream("proxy_on_request_body", id, {ex->request.body.size(), eos}, 0);
}

uint32_t PluginVm::on_request_trailers(uint32_t id) {
  Exchange* ex = state_->streams.at(id);
  return call_stream("proxy_on_request_trailers", id, {ex->request.trailers.size()}, 0);
}

uint32_t PluginVm::on_response_headers(uint32_t id, bool eos) {
  Exchange* ex = state_->streams.at(id);
  ex->response_started = true;
  return call_stream("proxy_on_response_headers", id, {ex->response.headers.size(), eos}, 0);
}

uint32_t PluginVm::on_response_body(uint32_t id, bool eos) {
  Exchange* ex = state_->streams.at(id);
  return call_stream("proxy_on_response_body", id, {ex->response.body.size(), eos}, 0);
}

uint32_t PluginVm::on_response_trailers(uint32_t id) {
  Exchange* ex = state_->streams.at(id);
  return call_stream("proxy_on_response_trailers", id, {ex->response.trailers.size()}, 0);
}

void PluginVm::finish_stream(uint32_t id) {
  VmState& s = *state_;
  try {
    if (!s.failed) {
      call_stream("proxy_on_done", id, {}, 1);
      call_stream("proxy_on_log", id, {}, 0);
      call_stream("proxy_on_delete", id, {}, 0);
    }
  } catch (const Trap& trap) {
    s.log(LogLevel::error, std::string("wasme: ") + trap.what());
  }
  s.streams.erase(id);
}

std::vector<HttpCallRequest> PluginVm::take_http_calls() {
  std::vector<HttpCallRequest> calls;
  calls.swap(state_->pending_calls);
  return calls;
}

void PluginVm::on_http_call_response(const HttpCallRequest& request, const HttpCallResponse& response) {
  VmState& s = *state_;
  const bool alive = request.context_id == s.root_context_id || s.streams.count(request.context_id);
  if (!alive) return;
  s.current_context = request.context_id;
  s.call_response = &response;
  struct Clear {
    VmState& s;
    ~Clear() { s.call_response = nullptr; }
  } clear{s};
  call("proxy_on_http_call_response",
       {request.context_id, request.token, response.headers.size(), response.body.size(), response.trailers.size()}, 0);
}

void PluginVm::deliver_queue_notifications() {
  VmState& s = *state_;
  std::vector<uint32_t> ready;
  {
    std::lock_guard lock(s.ready_mutex);
    ready.swap(s.ready_queues);
  }
  for (uint32_t token : ready) {
    s.current_context = s.root_context_id;
    call("proxy_on_queue_ready", {s.root_context_id, token}, 0);
  }
}

void PluginVm::tick() {
  VmState& s = *state_;
  s.current_context = s.root_context_id;
  call("proxy_on_tick", {s.root_context_id}, 0);
}

}  // namespace wasme::host
