#include <doctest/doctest.h>

#include "wasme/core/error.hpp"
#include "wasme/render/yaml.hpp"

using namespace wasme;
using wasme::render::Json;

namespace {

Json round_trip(const Json& value) {
  auto docs = render::parse_yaml_stream(render::to_yaml(value), "test");
  REQUIRE(docs.size() == 1);
  return docs[0];
}

}  // namespace

TEST_CASE("strings that look like other types stay strings through YAML") {
  const char* tricky[] = {"9080", "true", "False", "yes", "no", "on", "OFF", "y", "N", "null", "~",
                          "", "1.4", "1e3", "0x1F", "0o17", "-1", "+1", ".5", ".inf", "-.inf",
                          ".nan", "2001-12-14", "1:20", "<<", "=", "0777", "12:30:00"};
  for (const char* s : tricky) {
    CAPTURE(s);
    Json doc = {{"key", s}, {s, "value"}};
    CHECK(round_trip(doc) == doc);
    // and the text itself must not be plain (go-yaml in kubectl reads YAML 1.1)
    std::string yaml = render::to_yaml(Json{{"k", s}});
    CHECK(yaml.find("k: \"") == 0);
  }
}

TEST_CASE("a config with quotes, newlines, #, ': ' and unicode survives unchanged") {
  std::string configs[] = {
      R"({"value":"hi-from-wasme"})",
      "line one\nline two\n",
      "  leading and trailing spaces  ",
      "a: b # not a comment",
      "'single' \"double\" `back`",
      "tab\there, backslash \\ and \\n literal",
      "unicode: h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80",
      "- not a list",
      "{not: a map}",
      "[1, 2]",
      "&anchor *alias !tag %directive @at `tick",
      "---",
      "...",
      "?",
      "\x01 control \x7F",
  };
  for (const auto& c : configs) {
    CAPTURE(c);
    Json doc = {{"configuration", c}, {"nested", {{"list", Json::array({c, c})}}}};
    CHECK(round_trip(doc) == doc);
  }
}

TEST_CASE("numbers, bools, null, empty containers and key order survive") {
  Json doc = {{"z", 1}, {"a", -2}, {"m", 1.5}, {"t", true}, {"f", false}, {"n", nullptr},
              {"empty_map", Json::object()}, {"empty_list", Json::array()},
              {"list", Json::array({1, "1", Json::array({"x"})})}};
  Json back = round_trip(doc);
  CHECK(back == doc);
  CHECK(back.begin().key() == "z");
}

TEST_CASE("a stream holds one document per object, in order") {
  std::vector<Json> docs = {{{"kind", "A"}}, {{"kind", "B"}}, {{"kind", "C"}}};
  std::string text = render::to_yaml_stream(docs);
  CHECK(text.rfind("---\n", 0) == 0);
  CHECK(render::parse_yaml_stream(text, "s") == docs);
}

TEST_CASE("parse_yaml_stream types plain scalars and keeps quoted ones as strings") {
  auto docs = render::parse_yaml_stream(
      "---\n# comment only document\n---\n"
      "a: 9080\nb: \"9080\"\nc: true\nd: 'true'\ne: ~\nf: 1.25\ng: !!str 12\nh: plain text\n"
      "i: 0x10\nj: [1, two]\n---\n",
      "f.yaml");
  REQUIRE(docs.size() == 1);
  Json expected = {{"a", 9080}, {"b", "9080"}, {"c", true}, {"d", "true"}, {"e", nullptr},
                   {"f", 1.25}, {"g", "12"}, {"h", "plain text"}, {"i", 16},
                   {"j", Json::array({1, "two"})}};
  CHECK(docs[0] == expected);
}

TEST_CASE("malformed YAML names the source and line") {
  struct Case {
    const char* text;
    const char* fragment;
  };
  Case cases[] = {
      {"a: b\nc: [unclosed\n", "deploy.yaml:"},
      {"a: b: c\n", "deploy.yaml:1"},
      {"key: value\n  bad indent: x\n", "deploy.yaml:2"},
  };
  for (const auto& c : cases) {
    std::string text = c.text;
    CAPTURE(text);
    try {
      render::parse_yaml_stream(c.text, "deploy.yaml");
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      CHECK(std::string(e.what()).find(c.fragment) == 0);
    }
  }
}

TEST_CASE("an alias bomb is refused instead of exhausting memory") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'i'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  CHECK_THROWS_AS(render::parse_yaml_stream(bomb, "bomb.yaml"), Error);
}
