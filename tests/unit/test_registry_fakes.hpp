#pragma once
// Substitutes for the registry client's side effects: a scripted transport and the fake
// clock, recording the sleeps it was asked for.
#include <functional>
#include <string>
#include <vector>

#include "wasme/core/clock.hpp"
#include "wasme/registry/retry.hpp"
#include "wasme/registry/transport.hpp"

namespace wasme::registry::testing {

// Answers each request with responder(request) and records every request it saw.
class FakeTransport : public Transport {
 public:
  explicit FakeTransport(std::function<Response(const Request&)> responder) : responder_(std::move(responder)) {}
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

class FakeClock : public wasme::FakeClock {
 public:
  void sleep_for(milliseconds duration) override {
    sleeps.push_back(duration);
    wasme::FakeClock::sleep_for(duration);
  }
  std::vector<milliseconds> sleeps;
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
