// Every pointer and length a module hands the host is checked: past the end of memory,
// overflowing, or malformed serialized maps answer an error code, never touch host memory.
#include <doctest/doctest.h>

#include "test_host_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/host/vm.hpp"
#include "wasme/host/vm_state.hpp"

using namespace wasme;
using namespace wasme::host;

namespace {

constexpr uint64_t kOk = 0, kNotFound = 1, kBadArgument = 2, kParseFailure = 4, kInvalidMemory = 6;
constexpr uint64_t kWasiFault = 21;
constexpr uint64_t kEnd = 65536;  // one page of memory

// Exports call_NAME for each import: the test passes the raw arguments a hostile module would.
const char* kProbe = R"((module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_header_map_pairs" (func $set_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $get_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $buf (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set_buf (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call" (func $call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_define_metric" (func $metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_shared_data" (func $shared (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $prop (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $reply (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $remove (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_size" (func $map_size (param i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_status" (func $buf_status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $set_shared (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func $register (param i32 i32 i32) (result i32)))
  (import "env" "proxy_resolve_shared_queue" (func $resolve (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_enqueue_shared_queue" (func $enqueue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $dequeue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_metric" (func $get_metric (param i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $inc (param i32 i64) (result i32)))
  (import "env" "proxy_set_property" (func $set_prop (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $effective (param i32) (result i32)))
  (import "env" "proxy_get_log_level" (func $level (param i32) (result i32)))
  (import "env" "proxy_get_current_time_nanoseconds" (func $now (param i32) (result i32)))
  (import "env" "proxy_call_foreign_function" (func $foreign (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 4096))
  (func (export "malloc") (param i32) (result i32)
    (local $p i32) (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get 0))) (local.get $p))
  (func (export "call_log") (param i32 i32 i32) (result i32) (call $log (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_get") (param i32 i32 i32 i32 i32) (result i32)
    (call $get (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "call_add") (param i32 i32 i32 i32 i32) (result i32)
    (call $add (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "call_set_pairs") (param i32 i32 i32) (result i32) (call $set_pairs (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_get_pairs") (param i32 i32 i32) (result i32) (call $get_pairs (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_buf") (param i32 i32 i32 i32 i32) (result i32)
    (call $buf (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "call_set_buf") (param i32 i32 i32 i32 i32) (result i32)
    (call $set_buf (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "call_http") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (call $call (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
                (local.get 5) (local.get 6) (local.get 7) (local.get 8) (local.get 9)))
  (func (export "call_metric") (param i32 i32 i32 i32) (result i32)
    (call $metric (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "call_shared") (param i32 i32 i32 i32 i32) (result i32)
    (call $shared (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "call_prop") (param i32 i32 i32 i32) (result i32)
    (call $prop (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "call_reply") (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (call $reply (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7)))
  (func (export "call_fd_write") (param i32 i32 i32 i32) (result i32)
    (call $fd_write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "call_random") (param i32 i32) (result i32) (call $random (local.get 0) (local.get 1)))
  (func (export "call_open") (result i32)
    (call $open (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0)))
  (func (export "call_replace") (param i32 i32 i32 i32 i32) (result i32)
    (call $replace (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "call_remove") (param i32 i32 i32) (result i32) (call $remove (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_map_size") (param i32 i32) (result i32) (call $map_size (local.get 0) (local.get 1)))
  (func (export "call_buf_status") (param i32 i32 i32) (result i32) (call $buf_status (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_set_shared") (param i32 i32 i32 i32 i32) (result i32)
    (call $set_shared (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "call_register") (param i32 i32 i32) (result i32) (call $register (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_resolve") (param i32 i32 i32 i32 i32) (result i32)
    (call $resolve (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "call_enqueue") (param i32 i32 i32) (result i32) (call $enqueue (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_dequeue") (param i32 i32 i32) (result i32) (call $dequeue (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_get_metric") (param i32 i32) (result i32) (call $get_metric (local.get 0) (local.get 1)))
  (func (export "call_inc") (param i32 i64) (result i32) (call $inc (local.get 0) (local.get 1)))
  (func (export "call_set_prop") (param i32 i32 i32 i32) (result i32)
    (call $set_prop (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "call_effective") (param i32) (result i32) (call $effective (local.get 0)))
  (func (export "call_level") (param i32) (result i32) (call $level (local.get 0)))
  (func (export "call_now") (param i32) (result i32) (call $now (local.get 0)))
  (func (export "call_foreign") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $foreign (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "call_fd_read") (result i32) (call $fd_read (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
))";

// A module instantiated with the host's import tables bound to a state the test controls.
struct Probe {
  VmState state;
  Exchange exchange;
  std::vector<std::string> logs;

  explicit Probe(InstanceLimits limits = {}) {
    static const auto engine = make_wabt_engine();
    static const std::string wasm = testing::wat_to_wasm(kProbe);
    state.shared = std::make_shared<SharedState>();
    state.config.log = [this](LogLevel, const std::string& line) { logs.push_back(line); };
    VmState* s = &state;
    state.instance = engine->instantiate(
        wasm,
        [s](const ImportRequest& r) -> std::optional<HostFunction> {
          if (auto f = proxy_import(*s, r)) return f;
          return wasi_import(*s, r);
        },
        limits);
    state.memory = std::make_unique<GuestMemory>(*state.instance);
    state.memory->set_allocator(state.instance->find_export("malloc"));
    state.streams[2] = &exchange;
    state.current_context = 2;
  }

  uint64_t call(const char* name, std::vector<uint64_t> args) {
    auto handle = state.instance->find_export(name);
    REQUIRE(handle);
    auto results = state.instance->call(*handle, args);
    return results.empty() ? 0 : results[0];
  }

  void poke(uint64_t address, const std::string& bytes) { REQUIRE(state.memory->write(address, bytes)); }
};

}  // namespace

TEST_CASE("log: the message must lie inside memory") {
  Probe p;
  p.poke(100, "hello");
  CHECK(p.call("call_log", {2, 100, 5}) == kOk);
  CHECK(p.logs == std::vector<std::string>{"hello"});
  CHECK(p.call("call_log", {2, kEnd - 2, 5}) == kInvalidMemory);    // runs past the end
  CHECK(p.call("call_log", {2, 0xffffffff, 2}) == kInvalidMemory);  // wraps around in 32 bits
  CHECK(p.call("call_log", {2, kEnd, 0}) == kOk);                   // empty, at the very end
  CHECK(p.call("call_log", {2, kEnd + 1, 0}) == kInvalidMemory);
  CHECK(p.call("call_log", {99, 100, 5}) == kBadArgument);  // no such level
  CHECK(p.logs.size() == 2);
}

TEST_CASE("header maps: keys, values and out-pointers are checked; values come back in module memory") {
  Probe p;
  p.exchange.request.headers = {{":path", "/x"}, {"a", "1"}};
  p.poke(100, ":path");
  CHECK(p.call("call_get", {0, 100, 5, 200, 204}) == kOk);
  uint32_t address = *p.state.memory->read_u32(200);
  uint32_t size = *p.state.memory->read_u32(204);
  CHECK(std::string(*p.state.memory->view(address, size)) == "/x");
  CHECK(p.call("call_get", {0, 100, 5, kEnd - 2, 204}) == kInvalidMemory);  // out-pointer past the end
  CHECK(p.call("call_get", {0, 100, 5, 200, 0xfffffffe}) == kInvalidMemory);
  CHECK(p.call("call_get", {0, kEnd - 1, 5, 200, 204}) == kInvalidMemory);
  CHECK(p.call("call_get", {77, 100, 5, 200, 204}) == kBadArgument);  // no such map
  p.exchange.request.headers.emplace_back(":path", "/second");
  CHECK(p.call("call_get", {0, 100, 5, 200, 204}) == kOk);  // the first value, as Envoy
  CHECK(*p.state.memory->read_u32(204) == 2);
  p.poke(400, "absent");
  CHECK(p.call("call_get", {0, 400, 6, 200, 204}) == kNotFound);
  p.state.abi = wasme::wasm::ProxyAbi::v0_1_0;  // 0.1.0: empty and Ok
  CHECK(p.call("call_get", {0, 400, 6, 200, 204}) == kOk);
  CHECK(*p.state.memory->read_u32(204) == 0);
  p.state.abi = wasme::wasm::ProxyAbi::v0_2_1;
  p.poke(300, "X-New");
  p.poke(310, "v");
  CHECK(p.call("call_add", {0, 300, 5, 310, 1}) == kOk);
  CHECK(p.exchange.request.headers.back() == std::pair<std::string, std::string>{"x-new", "v"});
  CHECK(p.call("call_add", {0, 300, 5, 310, 0xffffffff}) == kInvalidMemory);
  CHECK(p.call("call_add", {6, 300, 5, 310, 1}) == kBadArgument);  // http call response: read-only
}

TEST_CASE("serialized header maps from the module: hostile counts and sizes are parse failures") {
  Probe p;
  auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  const std::vector<std::string> hostile = {
      u32(0xffffffff),                          // a count no buffer can hold
      u32(1) + u32(0xfffffff0) + u32(1) + "k",  // a key size past the end
      u32(1) + u32(1) + u32(1) + "kXv",         // no NUL after the key
      u32(1) + u32(1) + u32(0xffffffff) + std::string("k\0v\0", 4),
      u32(2) + u32(1) + u32(1) + std::string("k\0v\0", 4),  // the second pair is missing
      "ab",
  };
  for (const auto& bytes : hostile) {
    p.poke(1000, bytes);
    CHECK(p.call("call_set_pairs", {0, 1000, bytes.size()}) == kParseFailure);
  }
  CHECK(p.call("call_set_pairs", {0, kEnd - 4, 8}) == kInvalidMemory);
  const std::string good = serialize_pairs({{"a", "1"}, {"B", ""}});
  p.poke(1000, good);
  CHECK(p.call("call_set_pairs", {0, 1000, good.size()}) == kOk);
  CHECK(p.exchange.request.headers == Headers{{"a", "1"}, {"b", ""}});
  CHECK(p.call("call_get_pairs", {0, 200, 204}) == kOk);
  CHECK(parse_pairs(*p.state.memory->view(*p.state.memory->read_u32(200), *p.state.memory->read_u32(204))) ==
        Headers{{"a", "1"}, {"b", ""}});
}

TEST_CASE("buffers, properties, shared data, metrics, local replies and HTTP calls check their pointers") {
  Probe p;
  p.exchange.request.body = "hello";
  CHECK(p.call("call_buf", {0, 1, 3, 200, 204}) == kOk);
  CHECK(std::string(*p.state.memory->view(*p.state.memory->read_u32(200), 3)) == "ell");
  CHECK(p.call("call_buf", {0, 6, 3, 200, 204}) == kOk);  // start past the body: no bytes, as cpp-host
  CHECK(p.call("load", {204}) == 0);
  CHECK(p.call("call_buf", {0, 0, 3, kEnd, 204}) == kInvalidMemory);
  CHECK(p.call("call_buf", {5, 0, 3, 200, 204}) == kNotFound);  // a gRPC buffer: none here
  p.poke(100, "HE");
  CHECK(p.call("call_set_buf", {0, 1, 2, 100, 2}) == kBadArgument);  // Envoy edits only at the ends
  CHECK(p.call("call_set_buf", {0, 0, 0, 100, 2}) == kOk);           // prepend
  CHECK(p.call("call_set_buf", {0, 99, 0, 100, 1}) == kOk);          // append
  CHECK(p.exchange.request.body == "HEhelloH");
  CHECK(p.call("call_set_buf", {0, 0, 99, 100, 2}) == kOk);  // replace
  CHECK(p.exchange.request.body == "HE");
  CHECK(p.call("call_set_buf", {0, 0, 2, kEnd - 1, 2}) == kInvalidMemory);
  CHECK(p.call("call_set_buf", {7, 0, 2, 100, 2}) == kBadArgument);  // the plugin configuration is read-only

  CHECK(p.call("call_prop", {kEnd - 3, 10, 200, 204}) == kInvalidMemory);
  p.poke(100, std::string("request\0path", 12));
  p.exchange.request.headers = {{":path", "/p"}};
  CHECK(p.call("call_prop", {100, 12, 200, 204}) == kOk);
  CHECK(p.call("call_prop", {100, 12, kEnd - 1, 204}) == kInvalidMemory);

  CHECK(p.call("call_shared", {100, 3, 200, 204, kEnd}) == kInvalidMemory);  // cas pointer past the end
  CHECK(p.call("call_shared", {100, 3, 200, 204, 208}) == kNotFound);
  CHECK(p.call("call_metric", {0, kEnd - 1, 4, 200}) == kInvalidMemory);
  CHECK(p.call("call_metric", {9, 100, 4, 200}) == kBadArgument);  // no such metric type
  CHECK(p.call("call_reply", {403, 100, 2, kEnd, 1, 100, 0, 0}) == kInvalidMemory);
  CHECK_FALSE(p.exchange.local_reply);

  const std::string headers = serialize_pairs({{":method", "GET"}, {":path", "/"}, {":authority", "a"}});
  p.poke(2000, headers);
  p.poke(100, "auth");
  CHECK(p.call("call_http", {100, 4, 2000, headers.size(), 0, 0, 0, 0, 1000, kEnd}) ==
        kInvalidMemory);  // token pointer
  CHECK(p.call("call_http", {100, 4, 2000, 8, 0, 0, 0, 0, 1000, 300}) == kParseFailure);
  const std::string no_path = serialize_pairs({{":method", "GET"}});
  p.poke(2000, no_path);
  CHECK(p.call("call_http", {100, 4, 2000, no_path.size(), 0, 0, 0, 0, 1000, 300}) == kBadArgument);  // as Envoy
  CHECK(p.state.pending_calls.empty());
}

TEST_CASE("the remaining host functions check every pointer too") {
  Probe p;
  p.exchange.request.headers = {{"a", "1"}, {"a", "2"}, {"b", "3"}};
  p.poke(100, "A");
  p.poke(110, "x");
  CHECK(p.call("call_replace", {0, 100, 1, 110, 1}) == kOk);  // one value replaces both
  CHECK(p.exchange.request.headers == Headers{{"a", "x"}, {"b", "3"}});
  CHECK(p.call("call_replace", {0, 100, 1, kEnd, 1}) == kInvalidMemory);
  CHECK(p.call("call_remove", {0, kEnd - 1, 2}) == kInvalidMemory);
  CHECK(p.call("call_remove", {0, 100, 1}) == kOk);
  CHECK(p.exchange.request.headers == Headers{{"b", "3"}});
  CHECK(p.call("call_map_size", {0, kEnd - 3}) == kInvalidMemory);
  CHECK(p.call("call_map_size", {0, 200}) == kOk);
  CHECK(p.call("load", {200}) == 2);  // Envoy's byteSize: "b" + "3"
  CHECK(p.call("call_buf_status", {0, 200, kEnd}) == kInvalidMemory);

  p.poke(300, "key");
  CHECK(p.call("call_set_shared", {300, 3, kEnd - 1, 5, 0}) == kInvalidMemory);
  p.poke(320, "new");
  CHECK(p.call("call_set_shared", {320, 3, 110, 1, 777}) == kOk);  // a cas on a missing key sets it
  CHECK(p.call("call_set_shared", {300, 3, 110, 1, 0}) == kOk);
  CHECK(p.call("call_set_shared", {300, 3, 110, 1, 12345}) == 8);  // cas mismatch
  CHECK(p.call("call_register", {300, 3, kEnd}) == kInvalidMemory);
  CHECK(p.call("call_register", {300, 3, 200}) == kOk);
  const uint64_t token = p.call("load", {200});
  CHECK(p.call("call_resolve", {300, 0xffffffff, 300, 3, 204}) == kInvalidMemory);
  CHECK(p.call("call_enqueue", {token, kEnd - 1, 2}) == kInvalidMemory);
  CHECK(p.call("call_enqueue", {token + 100, 110, 1}) == kNotFound);
  CHECK(p.call("call_dequeue", {token, 200, kEnd}) == kInvalidMemory);
  CHECK(p.call("call_dequeue", {token, 200, 204}) == 7);  // empty

  CHECK(p.call("call_get_metric", {1, kEnd - 4}) == kInvalidMemory);
  CHECK(p.call("call_inc", {999, 1}) == kNotFound);
  const uint32_t counter = p.state.shared->define_metric(MetricType::counter, "c");
  CHECK(p.call("call_inc", {counter, 0}) == kBadArgument);  // counters only go up (Envoy)
  CHECK(p.call("call_inc", {counter, 2}) == kOk);
  CHECK(p.call("call_set_prop", {kEnd, 1, 110, 1}) == kInvalidMemory);
  CHECK(p.call("call_set_prop", {300, 3, 110, 1}) == kOk);
  CHECK(p.exchange.filter_state.at("key") == "x");
  CHECK(p.call("call_effective", {77}) == kBadArgument);  // no such context
  CHECK(p.call("call_level", {kEnd - 2}) == kInvalidMemory);
  CHECK(p.call("call_now", {kEnd - 4}) == kInvalidMemory);
  CHECK(p.call("call_now", {400}) == kOk);
  CHECK(p.call("call_foreign", {300, 3, kEnd, 1, 200, 204}) == kInvalidMemory);
  CHECK(p.call("call_foreign", {300, 3, 0, 0, 200, 204}) == kNotFound);
}

TEST_CASE("WASI: iovecs and buffers outside memory are EFAULT; unknown calls are ENOSYS") {
  Probe p;
  p.poke(100, "out\n");
  p.call("store", {200, 100});
  p.call("store", {204, 4});
  CHECK(p.call("call_fd_write", {1, 200, 1, 300}) == 0);
  CHECK(p.logs == std::vector<std::string>{"out"});
  CHECK(p.call("load", {300}) == 4);
  p.call("store", {204, 0xffffff00});  // an iovec longer than memory
  CHECK(p.call("call_fd_write", {1, 200, 1, 300}) == kWasiFault);
  CHECK(p.call("call_fd_write", {1, kEnd - 4, 1, 300}) == kWasiFault);
  CHECK(p.call("call_fd_write", {3, 200, 1, 300}) == 8);  // EBADF: only stdout and stderr
  CHECK(p.call("call_random", {kEnd - 8, 16}) == kWasiFault);
  CHECK(p.call("call_random", {100, 16}) == 0);
  CHECK(p.call("call_open", {}) == 44);     // ENOENT: no files, as cpp-host answers
  CHECK(p.call("call_fd_read", {}) == 52);  // ENOSYS: every other call
}

TEST_CASE("an endless loop stops at the instruction budget, and the instance still runs afterwards") {
  Probe p(InstanceLimits{1u << 20, 100'000});
  try {
    p.call("spin", {});
    FAIL("the loop returned");
  } catch (const Trap& trap) {
    CHECK(trap.kind() == TrapKind::budget);
    CHECK(std::string(trap.what()).find("100000 instructions") != std::string::npos);
  }
  CHECK(p.call("call_log", {2, 0, 0}) == kOk);
}

TEST_CASE("a start function may call the host: the VM's memory is ready before it runs") {
  auto engine = make_wabt_engine();
  auto wasm = testing::wat_to_wasm(R"((module
    (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "started")
    (func $start (drop (call $log (i32.const 2) (i32.const 16) (i32.const 7))))
    (start $start)
    (func (export "malloc") (param i32) (result i32) (i32.const 1024))
    (func (export "proxy_abi_version_0_2_1"))))");
  std::vector<std::string> logs;
  VmConfig config;
  config.log = [&](LogLevel, const std::string& line) { logs.push_back(line); };
  PluginVm vm(*engine, wasm, config, nullptr);
  CHECK(logs == std::vector<std::string>{"started"});
}

TEST_CASE("load refuses unknown imports by name, memory over the limit and invalid modules") {
  auto engine = make_wabt_engine();
  auto none = [](const ImportRequest&) -> std::optional<HostFunction> { return std::nullopt; };
  auto unknown = testing::wat_to_wasm(
      R"((module (import "env" "proxy_x" (func)) (import "env" "mem" (memory 1)) (func (export "f"))))");
  try {
    engine->instantiate(unknown, none, {});
    FAIL("instantiated");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("env.proxy_x, env.mem (a memory)") != std::string::npos);
  }
  auto big = testing::wat_to_wasm(R"((module (memory (export "memory") 100)))");
  CHECK_THROWS_WITH_AS(engine->instantiate(big, none, InstanceLimits{1u << 20, 1000}),
                       doctest::Contains("needs 6 MiB of memory at start, over the limit of 1 MiB"), Error);
  CHECK_THROWS_WITH_AS(engine->instantiate(std::string("\0asm\1\0\0\0\x63", 9), none, {}),
                       doctest::Contains("not valid wasm"), Error);
  // A start function runs within the budget too.
  auto spinning_start = testing::wat_to_wasm(R"((module (func $s (loop $l (br $l))) (start $s)))");
  auto instance = engine->instantiate(spinning_start, none, InstanceLimits{1u << 20, 10'000});
  CHECK_THROWS_AS(instance->run_start(), Trap);
}
