#pragma once
#include <functional>
#include <optional>
#include <string>

#include "wasme/host/exchange.hpp"
#include "wasme/host/vm.hpp"

namespace wasme::host {

// Sends a request upstream and returns its response (":status" among the headers); throws
// Error(network) when the upstream cannot be reached.
using Upstream = std::function<HttpMessage(const HttpMessage& request)>;
// Answers an HTTP call the filter dispatched (status 0 when it failed).
using HttpCaller = std::function<HttpCallResponse(const HttpCallRequest& call)>;

// How one request went through the filter.
struct ExchangeOutcome {
  HttpMessage response;                         // what the client receives
  std::optional<HttpMessage> upstream_request;  // what reached the upstream, when it did
  std::string details;                          // Envoy's response code details: via_upstream, a local reply's, …
  std::string vm_failure;                       // the trap that failed this stream (names the callback)
  std::string stuck;                            // the filter paused the stream and never resumed it
};

// Runs one request through the filter as an Envoy HTTP filter chain with this one filter:
// request headers, body and trailers; the upstream; the response's; done, log, delete. HTTP
// calls the filter makes are answered by `calls` between callbacks. A trap or a spent budget
// answers 503 (Envoy's failStream, details wasm_fail_stream), as does a VM that failed before.
ExchangeOutcome run_exchange(PluginVm& vm, HttpMessage request, const ConnectionInfo& connection,
                             const Upstream& upstream, const HttpCaller& calls);

// Answers the HTTP calls and delivers the queue notifications pending in the VM, until none are
// left (for ticks and the root context). Throws Trap.
void complete_pending_work(PluginVm& vm, const HttpCaller& calls);

// The status a message carries in ":status" (0 when absent or malformed).
uint32_t status_of(const HttpMessage& message);

}  // namespace wasme::host
