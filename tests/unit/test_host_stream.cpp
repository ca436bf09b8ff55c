// run_exchange drives a filter the way Envoy's filter manager does: pauses, resumes, local
// replies through the response callbacks, failures as 503.
#include <doctest/doctest.h>

#include "test_host_support.hpp"
#include "wasme/host/stream.hpp"

using namespace wasme::host;

namespace {

// A filter whose request-headers callback returns the action stored at address 0 (set by the
// test through the plugin configuration's first byte) and whose response-headers callback
// adds "x-seen: 1".
const char* kFilter = R"((module
  (import "env" "proxy_get_buffer_bytes" (func $buf (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $reply (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "x-seen1")
  (global $next (mut i32) (i32.const 1024))
  (func (export "malloc") (param i32) (result i32)
    (local $p i32) (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get 0))) (local.get $p))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $buf (i32.const 7) (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 20)))
    (i32.store8 (i32.const 0) (i32.sub (i32.load8_u (i32.load (i32.const 16))) (i32.const 48)))
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 9))
      (then (drop (call $reply (i32.const 418) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                               (i32.const 0) (i32.const 0) (i32.const -1))) (return (i32.const 1))))
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 8)) (then unreachable))
    (i32.load8_u (i32.const 0)))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
    (drop (call $add (i32.const 2) (i32.const 64) (i32.const 6) (i32.const 70) (i32.const 1)))
    (i32.const 0))
))";

ExchangeOutcome run_with(char action) {
  static const auto engine = make_wabt_engine();
  static const std::string wasm = testing::wat_to_wasm(kFilter);
  VmConfig config;
  config.plugin_config = std::string(1, action);
  PluginVm vm(*engine, wasm, config, nullptr);
  vm.start();
  HttpMessage request{{{":method", "GET"}, {":path", "/"}, {":authority", "a"}}, "", {}};
  auto upstream = [](const HttpMessage&) { return HttpMessage{{{":status", "200"}}, "up", {}}; };
  return run_exchange(vm, request, {}, upstream, nullptr);
}

}  // namespace

TEST_CASE("Continue reaches the upstream and the response callbacks") {
  auto out = run_with('0');
  CHECK(status_of(out.response) == 200);
  CHECK(out.response.body == "up");
  CHECK(header_value(out.response.headers, "x-seen") == "1");
  CHECK(out.upstream_request.has_value());
  CHECK(out.details == "via_upstream");
  CHECK(out.stuck.empty());
}

TEST_CASE("a stream paused at its end and never resumed does not reach the upstream") {
  for (char action : {'1', '3'}) {
    auto out = run_with(action);
    CHECK(status_of(out.response) == 500);
    CHECK_FALSE(out.upstream_request.has_value());
    CHECK(out.stuck == "the filter paused the stream in proxy_on_request_headers and never resumed it");
  }
}

TEST_CASE("a local reply skips the upstream but passes the filter's response callbacks") {
  auto out = run_with('9');
  CHECK(status_of(out.response) == 418);
  CHECK_FALSE(out.upstream_request.has_value());
  CHECK(header_value(out.response.headers, "x-seen") == "1");
  CHECK(out.stuck.empty());
}

TEST_CASE("a trap answers 503 wasm_fail_stream and names the callback") {
  auto out = run_with('8');
  CHECK(status_of(out.response) == 503);
  CHECK(out.details == "wasm_fail_stream");
  CHECK(out.vm_failure == "proxy_on_request_headers: unreachable executed");
}
