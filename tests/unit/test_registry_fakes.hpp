#pragma once
// Substitutes for the registry client's side effects: a scripted transport and a clock
// that records sleeps instead of sleeping.
#include <functional>
#include <string>
#include <vector>

#include "wasme/registry/retry.hpp"
#include "wasme/registry/transport.hpp"

namespace wasme::registry::testing {

// Answers each request with responder(request) and records every request it saw.
class FakeTransport : public Transport {
 public:
  explicit FakeTransport(std::function<Response(const Request&)> responder)
      : responder_(std::move(responder)) {}
  Response send(const Request& request) override {
    requests.push_back(request);
    Response response = responder_(request);
    if (request.sink && response.status >= 200 && response.status < 300) {
      request.sink(response.body);
      response.body.clear();
    }
    return response;
  }
  std::vector<Request> requests;

 private:
  std::function<Response(const Request&)> responder_;
};

class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return now_; }
  void sleep(milliseconds duration) override {
    sleeps.push_back(duration);
    now_ += duration;
  }
  void advance(milliseconds duration) { now_ += duration; }
  std::vector<milliseconds> sleeps;

 private:
  std::chrono::steady_clock::time_point now_{};
};

inline Response respond(long status, std::string body = {},
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  for (auto& [name, value] : headers) response.headers.add(name, value);
  return response;
}

}  // namespace wasme::registry::testing
