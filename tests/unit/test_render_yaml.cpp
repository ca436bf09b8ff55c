#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/core/yaml_limits.hpp"
#include "wasme/render/wasm_plugin.hpp"
#include "wasme/render/yaml.hpp"

using namespace wasme;
using wasme::render::Json;

namespace {

Json round_trip(const Json& value) {
  auto docs = render::parse_yaml_stream(render::to_yaml(value), "test");
  REQUIRE(docs.size() == 1);
  return docs[0];
}

std::string utf8(unsigned cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// Code points of s, or an empty list with ok = false when s is not UTF-8.
std::vector<unsigned> code_points(const std::string& s, bool& ok) {
  std::vector<unsigned> out;
  ok = true;
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (n == 0 || i + n > s.size()) {
      ok = false;
      return {};
    }
    unsigned cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; k < n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) {
        ok = false;
        return {};
      }
      cp = (cp << 6) | (c & 0x3F);
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

// Characters a YAML reader refuses raw, takes for a line break, strips or alters: C0 (with TAB,
// LF, CR), DEL, C1 (with NEL U+0085), NBSP, U+2028, U+2029, the BOM and noncharacters.
std::vector<unsigned> odd_code_points() {
  std::vector<unsigned> out;
  for (unsigned cp = 0; cp < 0x20; ++cp) out.push_back(cp);
  out.push_back(0x7F);
  for (unsigned cp = 0x80; cp <= 0xA0; ++cp) out.push_back(cp);
  for (unsigned cp : {0x2028u, 0x2029u, 0xFEFFu, 0xFDD0u, 0xFDEFu, 0xFFFEu, 0xFFFFu, 0x1FFFEu, 0x10FFFFu}) {
    out.push_back(cp);
  }
  return out;
}

// Plain, these would read as bool, null, number, date, merge key or document marker in
// YAML 1.1 (go-yaml, kubectl) or 1.2.
const char* const special_words[] = {"yes",  "no",    "on",   "off",        "y",     "n",   "Y",    "N",
                                     "~",    "null",  "NULL", "true",       "False", "1e3", "0x1f", "0o17",
                                     ".inf", "-.Inf", ".nan", "<<",         "=",     "",    "-_1",  "+_.5",
                                     "---",  "...",   "1:20", "2001-12-14", "0777",  "+1",  "-.5"};

std::vector<std::string> odd_strings() {
  std::vector<std::string> out;
  std::string all;
  for (unsigned cp : odd_code_points()) {
    std::string c = utf8(cp);
    all += c;
    for (const std::string& s : {c, "a" + c + "b", c + "x", "x" + c, " " + c + " ", c + c}) out.push_back(s);
  }
  out.push_back(all);
  out.push_back("yes" + all);
  for (const char* w : special_words) out.push_back(w);
  // indicators and spaces, which yaml-cpp quotes itself
  for (const char* s : {" lead", "trail ", "a: b", "a #b", "- x",   "? x", "#x",  "&a", "*a", "!t", "|", ">",
                        "%",     "@",      "`",    "'q'",  "\"q\"", "[x]", "{x}", "a:", "\\", "-",  "?", ":"}) {
    out.push_back(s);
  }
  return out;
}

// s for a failure message: printable ASCII as is, the rest as U+XXXX.
std::string shown(const std::string& s) {
  bool ok = false;
  std::vector<unsigned> cps = code_points(s, ok);
  if (!ok) return "(not UTF-8)";
  std::string out;
  for (unsigned cp : cps) {
    if (cp >= 0x20 && cp < 0x7F) {
      out += static_cast<char>(cp);
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "<U+%04X>", cp);
      out += buf;
    }
  }
  return out;
}

// True when YAML text is UTF-8 holding only LF, printable ASCII and non-ASCII characters
// every reader takes as is: none of the odd ones above appears raw.
bool only_safe_characters(const std::string& text) {
  bool ok = false;
  for (unsigned cp : code_points(text, ok)) {
    if (cp == '\n' || (cp >= 0x20 && cp < 0x7F)) continue;
    if (cp < 0xA0 || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || (cp >= 0xFDD0 && cp <= 0xFDEF) ||
        (cp & 0xFFFE) == 0xFFFE) {
      return false;
    }
  }
  return ok;
}

// Maps (or lists) inside each other, depth levels, built without recursion.
Json nested(size_t depth, bool lists) {
  Json value = "leaf";
  for (size_t i = 0; i < depth; ++i) {
    Json outer = lists ? Json::array() : Json::object();
    if (lists) outer.push_back(std::move(value));
    else outer["a"] = std::move(value);
    value = std::move(outer);
  }
  return value;
}

std::string nested_text(size_t depth, bool lists) {
  std::string out;
  for (size_t i = 0; i < depth; ++i) out += lists ? "[" : "{\"a\":";
  out += "1";
  for (size_t i = 0; i < depth; ++i) out += lists ? "]" : "}";
  return out;
}

void check_error(const std::function<void()>& f, ErrorKind kind, const std::string& fragment) {
  try {
    f();
    FAIL("expected an error containing: " << fragment);
  } catch (const Error& e) {
    CHECK(e.kind() == kind);
    CHECK_MESSAGE(std::string(e.what()).find(fragment) != std::string::npos, e.what());
  }
}

}  // namespace

TEST_CASE("strings that look like other types stay strings through YAML") {
  const char* tricky[] = {"9080",  "true", "False",      "yes",  "no",   "on",   "OFF",  "y",       "N",  "null",
                          "~",     "",     "1.4",        "1e3",  "0x1F", "0o17", "-1",   "+1",      ".5", ".inf",
                          "-.inf", ".nan", "2001-12-14", "1:20", "<<",   "=",    "0777", "12:30:00"};
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
  Json doc = {{"z", 1},
              {"a", -2},
              {"m", 1.5},
              {"t", true},
              {"f", false},
              {"n", nullptr},
              {"empty_map", Json::object()},
              {"empty_list", Json::array()},
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
  Json expected = {{"a", 9080}, {"b", "9080"}, {"c", true},         {"d", "true"}, {"e", nullptr},
                   {"f", 1.25}, {"g", "12"},   {"h", "plain text"}, {"i", 16},     {"j", Json::array({1, "two"})}};
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

TEST_CASE("odd characters and YAML words read back identically, as values and as keys") {
  for (const std::string& s : odd_strings()) {
    CAPTURE(shown(s));
    Json doc = Json::object();
    doc["value"] = s;
    doc["list"] = Json::array({s});
    doc[s] = "key";
    std::string yaml = render::to_yaml(doc);
    CAPTURE(shown(yaml));
    // no odd character raw: go-yaml (kubectl) refuses some and folds others as line breaks
    CHECK(only_safe_characters(yaml));
    YAML::Node node = YAML::Load(yaml);
    REQUIRE(node.IsMap());
    CHECK(node["value"].Scalar() == s);
    CHECK(node["list"][0].Scalar() == s);
    auto it = node.begin();
    ++it;
    ++it;
    REQUIRE(it != node.end());
    CHECK(it->first.Scalar() == s);
    CHECK(it->second.Scalar() == "key");
    CHECK(round_trip(doc) == doc);
  }
  // the words are quoted, never plain, as keys too
  for (const char* w : special_words) {
    CAPTURE(w);
    YAML::Node node = YAML::Load(render::to_yaml(Json{{"k", w}, {w, "v"}}));
    CHECK(node["k"].Tag() == "!");
    auto it = node.begin();
    ++it;
    CHECK(it->first.Tag() == "!");
  }
}

TEST_CASE("the rule pinned: ordinary values as before, odd characters as YAML escapes") {
  Json doc = {{"name", "details"},
              {"port", "9080"},
              {"number", 9080},
              {"text", "a: b"},
              {"lines", "one\ntwo"},
              {"tab", "a\tb"},
              {"unicode", "h" + utf8(0xE9) + "llo " + utf8(0x1F600)},
              {"nbsp", "a" + utf8(0xA0) + "b"},
              {"ls", "a" + utf8(0x2028) + "b" + utf8(0x2029)},
              {"nel", utf8(0x85) + "c" + utf8(0x9F)},
              {"del", std::string("x\x7f", 2)},
              {"nul", std::string("\0\x1b", 2)},
              {"bom", utf8(0xFEFF) + "x"},
              {"nonchar", utf8(0xFFFF) + utf8(0x1FFFE)},
              {"under", "-_1"},
              {"list", Json::array({"x", "yes"})},
              {"empty", Json::object()},
              {"y" + utf8(0x2028), 1}};
  CHECK(render::to_yaml(doc) ==
        "name: details\n"
        "port: \"9080\"\n"
        "number: 9080\n"
        "text: \"a: b\"\n"
        "lines: \"one\\ntwo\"\n"
        "tab: \"a\\tb\"\n"
        "unicode: h" +
            utf8(0xE9) + "llo " + utf8(0x1F600) +
            "\n"
            "nbsp: a" +
            utf8(0xA0) +
            "b\n"
            "ls: \"a\\u2028b\\u2029\"\n"
            "nel: \"\\x85c\\x9f\"\n"
            "del: \"x\\x7f\"\n"
            "nul: \"\\x00\\x1b\"\n"
            "bom: \"\\ufeffx\"\n"
            "nonchar: \"\\uffff\\U0001fffe\"\n"
            "under: \"-_1\"\n"
            "list:\n"
            "  - x\n"
            "  - \"yes\"\n"
            "empty: {}\n"
            "\"y\\u2028\": 1\n");
}

TEST_CASE("a key too long for an implicit key is written as an explicit one and reads back") {
  std::string key(1100, 'k');
  key += utf8(0x2028);
  std::string yaml = render::to_yaml(Json{{key, "v"}});
  CHECK(yaml.rfind("? \"", 0) == 0);
  YAML::Node node = YAML::Load(yaml);
  CHECK(node.begin()->first.Scalar() == key);
  CHECK(node.begin()->second.Scalar() == "v");
}

TEST_CASE("a string that is not UTF-8 is refused, naming where it is") {
  const std::string bad[] = {"ab\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x80", "\xf4\x90\x80\x80", "\x80"};
  for (const auto& b : bad) {
    CAPTURE(b.size());
    check_error(
        [&] {
          render::to_yaml(Json{{"spec", {{"pluginName", b}}}});
        },
        ErrorKind::invalid_input, "value at spec.pluginName as YAML: not valid UTF-8");
    check_error(
        [&] {
          render::to_yaml_stream({Json{{"spec", {{"labels", {{b, "v"}}}}}}});
        },
        ErrorKind::invalid_input, "key at spec.labels.");
  }
}

TEST_CASE("nesting deeper than the limit is refused, not a crash") {
  for (size_t depth : {size_t(10'000), size_t(100'000)}) {
    CAPTURE(depth);
    for (bool lists : {false, true}) {
      // built and passed without copies: copying a json value recurses once per level
      std::vector<Json> docs(1);
      docs[0]["spec"]["pluginConfig"] = nested(depth, lists);
      check_error([&] { render::to_yaml(docs[0]); }, ErrorKind::invalid_input, "nested deeper than 128 levels");
      check_error([&] { render::to_yaml_stream(docs); }, ErrorKind::invalid_input, "cannot write spec.pluginConfig");
      // --config text: refused while parsing, by the shared helper and where WasmPlugin reads it
      std::string text = nested_text(depth, lists);
      check_error([&] { (void)parse_json_limited<Json>(text, "--config"); }, ErrorKind::invalid_input,
                  "--config: nested deeper than 64 levels");
      check_error([&] { (void)parse_json_limited<nlohmann::json>(text, "--config"); }, ErrorKind::invalid_input,
                  "--config: nested deeper than 64 levels");
      render::FilterSpec spec;
      spec.id = "x";
      spec.name = "x";
      spec.istio = render::IstioVersion::parse("1.24");
      spec.module.reference = "example.com/filter:v1";
      spec.module.manifest_digest = std::string(64, 'c');
      spec.config = "{\"a\":" + text + "}";
      check_error([&] { render::wasm_plugin(spec, {}); }, ErrorKind::invalid_input,
                  "--config: nested deeper than 64 levels");
    }
  }
  // up to the limits: rendered, and read back the same
  Json ok = {{"spec", {{"pluginConfig", nested(126, false)}}}};
  CHECK(round_trip(ok) == ok);
  CHECK_THROWS_AS(render::to_yaml(Json{{"spec", {{"pluginConfig", nested(127, false)}}}}), Error);
  CHECK(parse_json_limited<Json>(nested_text(64, true), "--config") == Json::parse(nested_text(64, true)));
  check_error([] { (void)parse_json_limited<Json>(nested_text(65, false), "--config"); }, ErrorKind::invalid_input,
              "--config: nested deeper than 64 levels");
  // YAML read back: yaml-cpp stops at 2000 levels, our converter at 128
  std::string deep_yaml(200, '[');
  deep_yaml += std::string(200, ']');
  check_error([&] { render::parse_yaml_stream(deep_yaml, "deep.yaml"); }, ErrorKind::invalid_input,
              "deep.yaml: nested deeper than 128 levels");
}

TEST_CASE("parse_json_limited: size limit, and malformed JSON is discarded for the caller's message") {
  std::string big = "\"" + std::string(1024 * 1024, 'x') + "\"";
  check_error([&] { (void)parse_json_limited<Json>(big, "--config"); }, ErrorKind::invalid_input,
              "--config: 1048578 bytes, more than the 1 MiB allowed");
  CHECK(parse_json_limited<Json>(big, "--config", {64, 2 * 1024 * 1024}).get<std::string>().size() == 1024 * 1024);
  CHECK(parse_json_limited<Json>("{oops", "--config").is_discarded());
  CHECK(parse_json_limited<Json>("[1,", "--config").is_discarded());
  Json parsed = parse_json_limited<Json>(R"({"z":1,"a":[true,null,"s"]})", "--config");
  CHECK(parsed.begin().key() == "z");  // ordered_json keeps the order
  CHECK(parsed == Json::parse(R"({"z":1,"a":[true,null,"s"]})"));
}

TEST_CASE("the workload reader bounds what aliases expand to, refuses non-string keys and deep nesting") {
  using wasme::render::parse_yaml_stream;
  const std::string big(1u << 20, 'x');
  std::string alias = "a: &a '" + big + "'\nb: &b [";
  for (int i = 0; i < 30; ++i) alias += std::string(i ? "," : "") + "*a";
  alias += "]\nc: [";
  for (int i = 0; i < 30; ++i) alias += std::string(i ? "," : "") + "*b";
  alias += "]\n";
  CHECK_THROWS_WITH_AS(parse_yaml_stream(alias, "w.yaml"), doctest::Contains("over 64 MiB once aliases expand"),
                       wasme::Error);
  CHECK_THROWS_WITH_AS(parse_yaml_stream("? [a, b]\n: 1\n", "w.yaml"),
                       doctest::Contains("line 1: a mapping key must be a plain value"), wasme::Error);
  for (int depth : {600, 10'000, 100'000}) {
    CAPTURE(depth);
    std::string deep = "a: " + std::string(depth, '[') + std::string(depth, ']') + "\n";
    CHECK_THROWS_WITH_AS(parse_yaml_stream(deep, "w.yaml"), doctest::Contains("nested deeper than"), wasme::Error);
    std::string block = "a:\n";
    for (int i = 0; i < std::min(depth, 2000); ++i) block += std::string(i + 1, ' ') + "- \n";
    CHECK_THROWS_AS(parse_yaml_stream(block, "w.yaml"), wasme::Error);
  }
  CHECK(wasme::yaml_nesting_bound("a: [[1]]\nb:\n  - - x\n") >= 3);  // an upper bound: columns count
}
