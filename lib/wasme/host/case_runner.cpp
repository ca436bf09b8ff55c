#include "wasme/host/case_runner.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/host/stream.hpp"
#include "wasme/host/vm.hpp"

namespace wasme::host {
namespace {

// A value as a message shows it: JSON-quoted, so control characters from the module or the
// file cannot reach the terminal raw.
std::string shown(const std::optional<std::string>& value) {
  if (!value) return "absent";
  return nlohmann::json(*value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void check_headers(const std::vector<ExpectedHeader>& expected, const Headers& actual, const std::string& what,
                   std::vector<std::string>& failures) {
  for (const auto& e : expected) {
    auto got = header_value(actual, e.name);
    if (got != e.value)
      failures.push_back(what + " " + e.name + ": expected " + shown(e.value) + ", got " + shown(got));
  }
}

// Answers the filter's HTTP calls from the case's list, in order, noting calls it did not expect.
class CallAnswers {
 public:
  explicit CallAnswers(const std::vector<HttpCallAnswer>& answers) : answers_(answers) {}

  HttpCallResponse operator()(const HttpCallRequest& call) {
    const size_t n = made_++;
    if (n >= answers_.size()) {
      failures_.push_back("the filter made HTTP call " + std::to_string(n + 1) + " (to " + shown(call.cluster) +
                          ") but the case answers only " + std::to_string(answers_.size()));
      return {};
    }
    const auto& answer = answers_[n];
    if (answer.cluster && *answer.cluster != call.cluster) {
      failures_.push_back("HTTP call " + std::to_string(n + 1) + ": expected cluster " + shown(*answer.cluster) +
                          ", got " + shown(call.cluster));
    }
    return HttpCallResponse{answer.status, answer.headers, answer.body, {}};
  }

  void finish(std::vector<std::string>& failures) const {
    if (made_ < answers_.size()) {
      failures.push_back("the case answers " + std::to_string(answers_.size()) + " HTTP calls but the filter made " +
                         std::to_string(made_));
    }
    failures.insert(failures.end(), failures_.begin(), failures_.end());
  }

 private:
  const std::vector<HttpCallAnswer>& answers_;
  size_t made_ = 0;
  std::vector<std::string> failures_;
};

void check_expectation(const Expectation& e, const std::optional<ExchangeOutcome>& out, const std::string& vm_failure,
                       const std::vector<std::string>& logs, const SharedState& shared,
                       std::vector<std::string>& failures) {
  if (out) {
    const uint32_t status = status_of(out->response);
    if (e.status && *e.status != status) {
      std::string why =
          out->vm_failure.empty() ? (out->stuck.empty() ? "" : " (" + out->stuck + ")") : " (" + out->vm_failure + ")";
      failures.push_back("status: expected " + std::to_string(*e.status) + ", got " + std::to_string(status) + why);
    }
    check_headers(e.headers, out->response.headers, "header", failures);
    if (e.body && *e.body != out->response.body)
      failures.push_back("body: expected " + shown(e.body) + ", got " + shown(out->response.body));
    if (!e.upstream_headers.empty() || e.upstream_body) {
      if (!out->upstream_request) {
        failures.push_back("the request never reached the upstream (" +
                           (out->details.empty() ? std::string("no response") : out->details) + ")");
      } else {
        check_headers(e.upstream_headers, out->upstream_request->headers, "upstream header", failures);
        if (e.upstream_body && *e.upstream_body != out->upstream_request->body) {
          failures.push_back("upstream body: expected " + shown(e.upstream_body) + ", got " +
                             shown(out->upstream_request->body));
        }
      }
    }
    if (!out->stuck.empty() && !e.status) failures.push_back(out->stuck);
  }
  if (e.vm_failure) {
    if (vm_failure.find(*e.vm_failure) == std::string::npos) {
      failures.push_back("expected the VM to fail with \"" + *e.vm_failure + "\", " +
                         (vm_failure.empty() ? std::string("it did not fail") : "it failed with: " + vm_failure));
    }
  } else if (!vm_failure.empty()) {
    failures.push_back("the VM failed: " + vm_failure);
  }
  for (const auto& wanted : e.logs) {
    bool found = false;
    for (const auto& line : logs) found = found || line.find(wanted) != std::string::npos;
    if (!found) failures.push_back("log: no line contains \"" + wanted + "\"");
  }
  auto metrics = shared.metrics();
  for (const auto& [name, value] : e.metrics) {
    const MetricValue* m = nullptr;
    for (const auto& candidate : metrics) {
      if (candidate.name == name) m = &candidate;
    }
    if (!m) failures.push_back("metric " + name + ": expected " + std::to_string(value) + ", it was never defined");
    else if (m->value != value)
      failures.push_back("metric " + name + ": expected " + std::to_string(value) + ", got " +
                         std::to_string(m->value));
  }
}

}  // namespace

size_t FileResult::passed() const {
  size_t n = 0;
  for (const auto& c : cases) n += c.passed ? 1 : 0;
  return n;
}

size_t FileResult::failed() const { return cases.size() - passed(); }

FileResult run_cases(const Engine& engine, std::string_view wasm, const CasesFile& file, const TestOptions& options) {
  FileResult result;
  result.path = file.path;
  std::vector<std::string> logs;
  VmConfig config;
  config.root_id = file.root_id.value_or(options.default_root_id);
  config.plugin_name = options.plugin_name;
  config.plugin_config = file.config;
  config.vm_config = file.vm_config;
  config.properties = file.properties;
  config.limits = options.limits;
  config.log = [&logs](LogLevel level, const std::string& line) {
    logs.push_back(std::string(to_string(level)) + ": " + line);
  };
  auto shared = std::make_shared<SharedState>();
  PluginVm vm(engine, wasm, config, shared);
  std::string start_error;
  try {
    vm.start();
    // Cases answer the calls made during them; a call made while the plugin started fails.
    complete_pending_work(vm, [&logs](const HttpCallRequest& call) {
      logs.push_back("wasme: HTTP call to \"" + call.cluster + "\" made while the plugin started: answered as failed");
      return HttpCallResponse{};
    });
  } catch (const Error& e) {
    start_error = e.what();
  } catch (const Trap& trap) {
    start_error = trap.what();
  }
  uint32_t port = 40000;
  for (const auto& c : file.cases) {
    CaseResult r;
    r.name = c.name;
    auto started = std::chrono::steady_clock::now();
    if (!start_error.empty()) {
      r.failures.push_back("the plugin did not start: " + start_error);
    } else {
      std::string vm_failure;
      std::optional<ExchangeOutcome> outcome;
      CallAnswers answers(c.http_calls);
      auto caller = [&answers](const HttpCallRequest& call) { return answers(call); };
      try {
        if (c.ticks > 0 && vm.tick_period_ms() == 0) r.failures.push_back("ticks: the filter set no tick period");
        for (uint32_t i = 0; i < c.ticks && vm.tick_period_ms() != 0; ++i) {
          vm.tick();
          complete_pending_work(vm, caller);
        }
      } catch (const Trap& trap) {
        vm_failure = trap.what();
      }
      if (c.request && vm_failure.empty()) {
        ConnectionInfo connection;
        connection.source_port = ++port;
        connection.destination_port = 10000;
        connection.request_id = "wasme-test-" + std::to_string(port);
        HttpMessage upstream_response = c.upstream;
        outcome = run_exchange(
            vm, *c.request, connection, [&](const HttpMessage&) { return upstream_response; }, caller);
        vm_failure = outcome->vm_failure;
      }
      answers.finish(r.failures);
      check_expectation(c.expect, outcome, vm_failure, logs, *shared, r.failures);
    }
    r.logs = std::move(logs);
    logs.clear();
    r.passed = r.failures.empty();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    result.cases.push_back(std::move(r));
  }
  return result;
}

}  // namespace wasme::host
