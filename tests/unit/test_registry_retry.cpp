#include <doctest/doctest.h>

#include <atomic>

#include "test_registry_fakes.hpp"
#include "wasme/registry/request_error.hpp"
#include "wasme/registry/retry.hpp"

using namespace wasme::registry;
using std::chrono::milliseconds;

namespace {

RequestError status_error(long status, std::optional<milliseconds> after = {}) {
  return RequestError(wasme::ErrorKind::registry, "x", "", Failure::status, status, after);
}
RequestError network_error(Failure failure) { return RequestError(wasme::ErrorKind::network, "x", "", failure); }

}  // namespace

TEST_CASE("backoff is 250ms x 2^n with +-10% jitter, clamped to 200ms..3s") {
  RetryPolicy p;
  CHECK(backoff_delay(p, 0, 0.5) == milliseconds(250));
  CHECK(backoff_delay(p, 1, 0.5) == milliseconds(500));
  CHECK(backoff_delay(p, 2, 0.5) == milliseconds(1000));
  CHECK(backoff_delay(p, 3, 0.5) == milliseconds(2000));
  CHECK(backoff_delay(p, 4, 0.5) == milliseconds(3000));   // clamped
  CHECK(backoff_delay(p, 60, 0.5) == milliseconds(3000));  // no overflow
  CHECK(backoff_delay(p, 0, 0.0) == milliseconds(225));
  CHECK(backoff_delay(p, 1, 0.999) >= milliseconds(549));
  CHECK(backoff_delay(p, 1, 0.999) <= milliseconds(550));
  RetryPolicy tiny;
  tiny.base = milliseconds(10);
  CHECK(backoff_delay(tiny, 0, 0.0) == milliseconds(200));  // clamped up
}

TEST_CASE("which failures are retried") {
  struct Case {
    long status;
    bool retried;
  };
  for (Case c : {Case{500, true}, Case{502, true}, Case{503, true}, Case{504, true}, Case{408, true}, Case{429, true},
                 Case{501, false}, Case{505, false}, Case{400, false}, Case{401, false}, Case{403, false},
                 Case{404, false}, Case{409, false}}) {
    CAPTURE(c.status);
    CHECK(status_error(c.status).retryable() == c.retried);
  }
  CHECK(network_error(Failure::reset).retryable());
  CHECK(network_error(Failure::stall).retryable());
  CHECK(network_error(Failure::connect_timeout).retryable());
  CHECK_FALSE(network_error(Failure::connect).retryable());
  CHECK_FALSE(network_error(Failure::tls_verify).retryable());
  CHECK_FALSE(network_error(Failure::tls_not_spoken).retryable());
  CHECK_FALSE(network_error(Failure::too_large).retryable());
}

TEST_CASE("retry_delay honours Retry-After and the attempt limit") {
  RetryPolicy p;
  CHECK(retry_delay(p, status_error(429, milliseconds(2000)), 0, 0.5) == milliseconds(2000));
  CHECK(retry_delay(p, status_error(503, milliseconds(0)), 0, 0.5) == milliseconds(200));
  CHECK_FALSE(retry_delay(p, status_error(429, milliseconds(3'600'000)), 0, 0.5));
  CHECK(retry_delay(p, status_error(503), 3, 0.5) == milliseconds(2000));
  CHECK_FALSE(retry_delay(p, status_error(503), 4, 0.5));  // the fifth attempt was the last
  CHECK_FALSE(retry_delay(p, status_error(404), 0, 0.5));
}

TEST_CASE("Retry-After parses seconds and HTTP dates") {
  auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  CHECK(parse_retry_after("120", now) == milliseconds(120000));
  CHECK(parse_retry_after(" 0 ", now) == milliseconds(0));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == milliseconds(30000));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now) == milliseconds(0));
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("-5", now));
  CHECK(parse_retry_after("99999999999999", now) > milliseconds(3'600'000));
}

TEST_CASE("Retrier retries retryable failures with backoff, then gives up naming the count") {
  testing::FakeClock clock;
  std::vector<std::string> log;
  Retrier retrier(RetryPolicy{}, clock, [&](std::string_view line) { log.emplace_back(line); });
  int calls = 0;
  int result = retrier.run("fetching x", [&] {
    if (++calls < 3) throw status_error(503);
    return 7;
  });
  CHECK(result == 7);
  CHECK(calls == 3);
  REQUIRE(clock.sleeps.size() == 2);
  CHECK(clock.sleeps[0] >= milliseconds(225));
  CHECK(clock.sleeps[0] <= milliseconds(275));
  CHECK(clock.sleeps[1] >= milliseconds(450));
  CHECK(clock.sleeps[1] <= milliseconds(550));
  CHECK(log.size() == 2);

  calls = 0;
  try {
    retrier.run("fetching y", [&]() -> int {
      ++calls;
      throw network_error(Failure::reset);
    });
    FAIL("expected an error");
  } catch (const RequestError& e) {
    CHECK(std::string(e.what()).find("gave up after 5 attempts") != std::string::npos);
    CHECK(e.failure() == Failure::reset);
  }
  CHECK(calls == 5);
}

TEST_CASE("a cancel ends a long Retry-After pause early") {
  // The clock sets the cancel flag after 300 ms of sleeping: a 30 s Retry-After must end
  // there, not be waited out.
  struct CancellingClock : testing::FakeClock {
    std::atomic<bool>* cancel = nullptr;
    milliseconds slept{0};
    void sleep_for(milliseconds d) override {
      FakeClock::sleep_for(d);
      slept += d;
      if (slept >= milliseconds(300)) *cancel = true;
    }
  };
  std::atomic<bool> cancel{false};
  CancellingClock clock;
  clock.cancel = &cancel;
  Retrier retrier(RetryPolicy{}, clock);
  retrier.set_cancel(&cancel);
  int calls = 0;
  try {
    retrier.run("fetching", [&]() -> int {
      ++calls;
      throw status_error(429, milliseconds(30000));
    });
    FAIL("expected a cancel");
  } catch (const RequestError&) {
    FAIL("the retry was given up, not cancelled");
  } catch (const wasme::Error& e) {
    CHECK(std::string(e.what()) == "cancelled");
  }
  CHECK(calls == 1);
  CHECK(clock.slept == milliseconds(300));
}

TEST_CASE("Retrier does not retry what a retry cannot fix") {
  testing::FakeClock clock;
  Retrier retrier(RetryPolicy{}, clock);
  int calls = 0;
  CHECK_THROWS_AS(retrier.run("x",
                              [&]() -> int {
                                ++calls;
                                throw status_error(404);
                              }),
                  RequestError);
  CHECK(calls == 1);
  CHECK(clock.sleeps.empty());
  calls = 0;
  CHECK_THROWS_AS(retrier.run("x",
                              [&]() -> int {
                                ++calls;
                                throw wasme::Error(wasme::ErrorKind::integrity, "digest mismatch");
                              }),
                  wasme::Error);
  CHECK(calls == 1);
}

TEST_CASE("registry error bodies become typed messages") {
  CHECK(describe_error_body(
            R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v9"}}]})") ==
        "MANIFEST_UNKNOWN: manifest unknown");
  CHECK(describe_error_body(R"({"errors":[{"code":"DENIED"},{"message":"m"}]})") == "DENIED; m");
  CHECK(describe_error_body("<html>502 Bad Gateway</html>").empty());
  CHECK(describe_error_body(R"({"errors":"nope"})").empty());
  CHECK(describe_error_body(R"({"errors":[{"code":7}]})").empty());
  CHECK(describe_error_body("").empty());
}

TEST_CASE("raise_for_status maps statuses to kinds and keeps Retry-After") {
  auto raised = [](Response r) -> RequestError {
    try {
      raise_for_status(r, "fetching manifest v1");
    } catch (const RequestError& e) {
      return e;
    }
    FAIL("no throw");
    return RequestError(wasme::ErrorKind::io, "", "", Failure::other);
  };
  auto e = raised(testing::respond(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"));
  CHECK(std::string(e.what()) == "fetching manifest v1: MANIFEST_UNKNOWN: manifest unknown (HTTP 404)");
  CHECK(e.kind() == wasme::ErrorKind::not_found);
  CHECK(raised(testing::respond(401)).kind() == wasme::ErrorKind::auth);
  CHECK_FALSE(raised(testing::respond(401)).hint().empty());
  CHECK(raised(testing::respond(403)).kind() == wasme::ErrorKind::auth);
  auto limited = raised(testing::respond(429, "", {{"retry-after", "3"}}));
  CHECK(limited.retry_after() == milliseconds(3000));
  CHECK(limited.retryable());
  CHECK(std::string(raised(testing::respond(500)).what()) == "fetching manifest v1: server error (HTTP 500)");
  CHECK(std::string(raised(testing::respond(401)).what()) ==
        "fetching manifest v1: unauthorized: authentication required (HTTP 401)");
}
