// run_exchange: one HTTP stream through a filter, in the order Envoy's filter manager calls it
// (source/common/http/filter_manager.cc; the wasm filter's statuses in
// source/extensions/common/wasm/context.cc, envoy main).
#include "wasme/host/stream.hpp"

#include "wasme/core/error.hpp"

namespace wasme::host {
namespace {

constexpr int kMaxCallRounds = 100;  // a filter answering each call with another one

// A headers callback that does not continue stops everything after it, its own body
// included, until it resumes: Envoy maps StopIteration (1) and every other status to
// StopAllIterationAndWatermark unless allow_on_headers_stop_iteration is set, which it is not
// by default (source/extensions/common/wasm/context.cc,
// convertVmCallResultToFilterHeadersStatus).
bool headers_stop_all(uint32_t action) { return action != 0; }

HttpMessage local_reply_message(const LocalReply& reply) {
  HttpMessage message;
  message.headers.emplace_back(":status", std::to_string(reply.status));
  for (const auto& h : reply.headers) message.headers.push_back(h);
  if (!reply.body.empty() && !header_value(message.headers, "content-type")) {
    message.headers.emplace_back("content-type", "text/plain");
  }
  message.body = reply.body;
  return message;
}

HttpMessage fail_stream_message() { return local_reply_message(LocalReply{503, "wasm_fail_stream", "", {}}); }

class Driver {
 public:
  Driver(PluginVm& vm, Exchange& ex, const HttpCaller& calls) : vm_(vm), ex_(ex), calls_(calls) {}

  // Runs the request side; false when the stream ends here (local reply or stuck).
  bool request_side(uint32_t id, ExchangeOutcome& out) {
    const bool has_body = !ex_.request.body.empty();
    const bool has_trailers = !ex_.request.trailers.empty();
    uint32_t action = vm_.on_request_headers(id, !has_body && !has_trailers);
    const char* last = "proxy_on_request_headers";
    if (!settle(action, ex_.resume_request)) return false;
    if (headers_stop_all(action) && blocked_) return stuck(out, last);
    if (has_body) {
      action = vm_.on_request_body(id, !has_trailers);
      last = "proxy_on_request_body";
      if (!settle(action, ex_.resume_request)) return false;
    }
    if (has_trailers) {
      action = vm_.on_request_trailers(id);
      last = "proxy_on_request_trailers";
      if (!settle(action, ex_.resume_request)) return false;
    }
    if (blocked_) return stuck(out, last);
    return true;
  }

  // Runs the response side over ex_.response; false when the filter left it stuck.
  bool response_side(uint32_t id, ExchangeOutcome& out, bool allow_local_reply) {
    blocked_ = false;
    ex_.resume_response = false;  // a resume made before the response has nothing to resume
    const bool has_body = !ex_.response.body.empty();
    const bool has_trailers = !ex_.response.trailers.empty();
    uint32_t action = vm_.on_response_headers(id, !has_body && !has_trailers);
    const char* last = "proxy_on_response_headers";
    if (!settle(action, ex_.resume_response) && allow_local_reply) return true;
    if (headers_stop_all(action) && blocked_) return stuck(out, last);
    if (has_body) {
      action = vm_.on_response_body(id, !has_trailers);
      last = "proxy_on_response_body";
      if (!settle(action, ex_.resume_response) && allow_local_reply) return true;
    }
    if (has_trailers) {
      action = vm_.on_response_trailers(id);
      last = "proxy_on_response_trailers";
      if (!settle(action, ex_.resume_response) && allow_local_reply) return true;
    }
    if (blocked_) return stuck(out, last);
    return true;
  }

 private:
  // After a callback: answer its HTTP calls and queue notifications, then see whether the
  // stream continues. False when a local reply ends it.
  bool settle(uint32_t action, bool& resumed) {
    if (action != 0) blocked_ = true;
    complete_pending_work(vm_, calls_);
    if (resumed) {
      blocked_ = false;
      resumed = false;
    } else if (action == 0) {
      blocked_ = false;
    }
    // The first local reply ends the stream; one sent while that reply passes the response
    // callbacks is ignored.
    const bool new_reply = ex_.local_reply.has_value() && !replied_;
    replied_ = replied_ || ex_.local_reply.has_value();
    return !new_reply;
  }

  bool stuck(ExchangeOutcome& out, const char* callback) {
    out.stuck = std::string("the filter paused the stream in ") + callback + " and never resumed it";
    return false;
  }

  PluginVm& vm_;
  Exchange& ex_;
  const HttpCaller& calls_;
  bool blocked_ = false;
  bool replied_ = false;
};

}  // namespace

uint32_t status_of(const HttpMessage& message) {
  auto status = header_value(message.headers, ":status");
  if (!status || status->empty() || status->size() > 3) return 0;
  for (char c : *status) {
    if (c < '0' || c > '9') return 0;
  }
  return static_cast<uint32_t>(std::stoul(*status));
}

void complete_pending_work(PluginVm& vm, const HttpCaller& calls) {
  for (int round = 0; round < kMaxCallRounds; ++round) {
    vm.deliver_queue_notifications();
    auto pending = vm.take_http_calls();
    if (pending.empty()) return;
    for (const auto& call : pending) {
      HttpCallResponse response = calls ? calls(call) : HttpCallResponse{};
      if (response.status != 0 && !header_value(response.headers, ":status")) {
        Headers headers;
        headers.emplace_back(":status", std::to_string(response.status));
        for (auto& h : response.headers) headers.push_back(std::move(h));
        response.headers = std::move(headers);
      }
      vm.on_http_call_response(call, response);
    }
  }
}

ExchangeOutcome run_exchange(PluginVm& vm, HttpMessage request, const ConnectionInfo& connection,
                             const Upstream& upstream, const HttpCaller& calls) {
  ExchangeOutcome out;
  if (vm.failed()) {
    out.response = fail_stream_message();
    out.details = "wasm_fail_stream";
    out.vm_failure = "the VM failed earlier: " + vm.failure();
    return out;
  }
  Exchange ex;
  ex.request = std::move(request);
  ex.connection = connection;
  Driver driver(vm, ex, calls);
  uint32_t id = 0;
  // Whatever happens, the VM forgets the stream before `ex` goes: it holds a pointer to it.
  struct Finish {
    PluginVm& vm;
    uint32_t& id;
    ~Finish() {
      if (id != 0) vm.finish_stream(id);
    }
  } finish{vm, id};
  try {
    id = vm.create_stream(ex);
    if (driver.request_side(id, out)) {
      out.upstream_request = ex.request;
      try {
        ex.response = upstream(ex.request);
        out.details = ex.response_details = "via_upstream";
      } catch (const Error&) {
        // What Envoy answers when the upstream cannot be reached.
        ex.response = local_reply_message(
            LocalReply{503,
                       "",
                       "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
                       {}});
        out.details = ex.response_details = "upstream_reset_before_response_started";
      }
      if (driver.response_side(id, out, true) && ex.local_reply) {
        ex.response = local_reply_message(*ex.local_reply);  // the filter replaced the response
        out.details = ex.local_reply->details;
      }
    } else if (ex.local_reply) {
      // A local reply goes back through the filter's response callbacks, as Envoy's
      // sendLocalReply runs the encoder filters; a second local reply there is ignored.
      LocalReply reply = *ex.local_reply;
      ex.local_reply.reset();
      ex.response = local_reply_message(reply);
      out.details = ex.response_details = reply.details;
      driver.response_side(id, out, false);
      ex.local_reply = reply;
    }
    if (!out.stuck.empty()) {
      ex.response = local_reply_message(LocalReply{500, "wasme_filter_stuck", "", {}});
      out.details = "wasme_filter_stuck";
    }
    out.response = ex.response;
  } catch (const Trap& trap) {
    out.vm_failure = trap.what();
    out.response = fail_stream_message();
    out.details = "wasm_fail_stream";
  }
  if (id != 0) {
    vm.finish_stream(id);
    id = 0;
    // HTTP calls made in proxy_on_done or proxy_on_log (access logging) still go out, as in Envoy.
    try {
      complete_pending_work(vm, calls);
    } catch (const Trap& trap) {
      if (out.vm_failure.empty()) out.vm_failure = trap.what();
    }
  }
  return out;
}

}  // namespace wasme::host
