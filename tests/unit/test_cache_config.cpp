#include <doctest/doctest.h>

#include <string>

#include "wasme/cache/config.hpp"
#include "wasme/core/error.hpp"

using wasme::cache::Millis;
using wasme::cache::parse_duration;

TEST_CASE("durations parse like Go's") {
  struct Good {
    std::string text;
    long long millis;
  };
  const Good cases[] = {
      {"0", 0},        {"0s", 0},        {"2s", 2000},           {"500ms", 500}, {"1m", 60000},
      {"1h", 3600000}, {"1m30s", 90000}, {"1h2m3s4ms", 3723004}, {"10ms", 10},   {"90s", 90000},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(parse_duration(c.text, "--interval").count() == c.millis);
  }
}

TEST_CASE("bad durations name the flag and the problem") {
  struct Bad {
    std::string text;
    std::string message;
  };
  const Bad cases[] = {
      {"", "empty"},       {"2", "missing unit"},    {"2x", "missing unit"},       {"s", "expected a number"},
      {"-1s", "negative"}, {"1.5s", "missing unit"}, {"2s ", "expected a number"}, {"99999999999999s", "too large"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    try {
      parse_duration(c.text, "--interval");
      FAIL("accepted a bad duration");
    } catch (const wasme::Error& e) {
      CHECK(e.kind() == wasme::ErrorKind::usage);
      std::string what = e.what();
      CHECK(what.find("--interval") != std::string::npos);
      CHECK(what.find(c.message) != std::string::npos);
    }
  }
}

TEST_CASE("durations format back to what parses") {
  for (long long ms : {0LL, 250LL, 2000LL, 90000LL, 3723004LL}) {
    auto text = wasme::cache::format_duration(Millis{ms});
    CAPTURE(text);
    CHECK(parse_duration(text, "x").count() == ms);
  }
  CHECK(wasme::cache::format_duration(Millis{90000}) == "1m30s");
}

TEST_CASE("backoff doubles up to its cap") {
  wasme::cache::Backoff b{Millis{100}, Millis{1000}};
  CHECK(b.delay(1).count() == 100);
  CHECK(b.delay(2).count() == 200);
  CHECK(b.delay(4).count() == 800);
  CHECK(b.delay(5).count() == 1000);
  CHECK(b.delay(1000).count() == 1000);
}
