#include <doctest/doctest.h>

#include "wasme/registry/challenge.hpp"

using wasme::registry::Challenge;
using wasme::registry::parse_challenges;

TEST_CASE("WWW-Authenticate challenges parse with quoted parameters") {
  auto cs = parse_challenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].scheme == "bearer");
  CHECK(cs[0].param("realm") == "https://auth.docker.io/token");
  CHECK(cs[0].param("service") == "registry.docker.io");
  CHECK(cs[0].param("scope") == "repository:samalba/my-app:pull,push");
}

TEST_CASE("challenge parsing table") {
  struct Case {
    const char* header;
    std::vector<std::string> schemes;
    const char* realm;  // of the first challenge
  };
  for (const Case& c : {
           Case{R"(Basic realm="Registry Realm")", {"basic"}, "Registry Realm"},
           Case{R"(basic REALM=test)", {"basic"}, "test"},
           Case{R"(Basic realm="a, b", charset="UTF-8")", {"basic"}, "a, b"},
           Case{R"(Bearer realm = "r" , service = "s")", {"bearer"}, "r"},
           Case{R"(Basic realm="x", Bearer realm="y",service="z")", {"basic", "bearer"}, "x"},
           Case{R"(Bearer realm="say \"hi\"")", {"bearer"}, R"(say "hi")"},
           Case{R"(Negotiate, Basic realm="b")", {"negotiate", "basic"}, ""},
           Case{R"(Basic dXNlcjpwYXNz==)", {"basic"}, ""},
           Case{"", {}, ""},
           Case{"   ,  ,", {}, ""},
           Case{R"(Bearer realm="unterminated)", {"bearer"}, "unterminated"},
           Case{"=garbage", {}, ""},
       }) {
    CAPTURE(c.header);
    auto cs = parse_challenges(c.header);
    std::vector<std::string> schemes;
    for (const auto& ch : cs) schemes.push_back(ch.scheme);
    CHECK(schemes == c.schemes);
    if (!cs.empty()) CHECK(cs[0].param("realm") == c.realm);
  }
}

TEST_CASE("pick_challenge prefers Bearer over Basic, across header lines") {
  using wasme::registry::pick_challenge;
  auto picked = pick_challenge({R"(Basic realm="b")", R"(Bearer realm="t",service="s")"});
  REQUIRE(picked);
  CHECK(picked->scheme == "bearer");
  picked = pick_challenge({R"(Basic realm="b")"});
  REQUIRE(picked);
  CHECK(picked->scheme == "basic");
  CHECK_FALSE(pick_challenge({"Negotiate"}));
  CHECK_FALSE(pick_challenge({}));
}
