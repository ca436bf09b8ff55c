#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/core/log.hpp"

TEST_CASE("a log passes each line to its sink") {
  std::vector<std::string> lines;
  wasme::Log log = [&](std::string_view line) { lines.emplace_back(line); };
  CHECK(static_cast<bool>(log));
  log("pulling \"r/a:1\"");
  log(std::string("cached"));
  CHECK(lines == std::vector<std::string>{"pulling \"r/a:1\"", "cached"});
}

TEST_CASE("an empty log drops every line, whatever it was made from") {
  for (const wasme::Log& log :
       {wasme::Log(), wasme::Log(nullptr), wasme::Log(std::function<void(std::string_view)>())}) {
    CHECK_FALSE(static_cast<bool>(log));
    log("nobody hears this");  // and does not throw bad_function_call
  }
}

TEST_CASE("a copied log shares the sink") {
  int count = 0;
  wasme::Log log = [&](std::string_view) { ++count; };
  wasme::Log copy = log;
  copy("a");
  log("b");
  CHECK(count == 2);
}
