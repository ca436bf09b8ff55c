// The cases file of `wasme test` (docs/TESTING.md): YAML, checked field by field so a typo is
// an error naming its line rather than a case that silently checks nothing.
#include "wasme/host/cases.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "wasme/core/error.hpp"
#include "wasme/core/yaml_limits.hpp"

namespace wasme::host {
namespace {

constexpr size_t kMaxFileBytes = 4u << 20;
constexpr int kMaxDepth = 256;  // yaml-cpp recurses per nesting level: bound it before parsing
constexpr size_t kMaxConfigNodes = 100'000;

class Parser {
 public:
  explicit Parser(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& field, const std::string& problem) const {
    std::string where = path_;
    if (node.IsDefined() && node.Mark().line >= 0) where += ":" + std::to_string(node.Mark().line + 1);
    throw Error(ErrorKind::invalid_input, where + ": " + field + ": " + problem,
                "see docs/TESTING.md for the cases file format")
        .with_exit_status(2);
  }

  // A mapping key, which must be a plain string (`? [a]: x` is YAML, not a name).
  std::string key_of(const YAML::Node& key, const std::string& field) const {
    if (!key.IsScalar()) fail(key, field, "keys must be strings");
    return key.as<std::string>();
  }

  void only_keys(const YAML::Node& map, const std::string& field, const std::set<std::string>& allowed) const {
    if (!map.IsMap()) fail(map, field, "must be a mapping");
    for (const auto& entry : map) {
      auto key = key_of(entry.first, field);
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(entry.first, field.empty() ? key : field + "." + key, "unknown field (known: " + list + ")");
      }
    }
  }

  std::string scalar(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar()) fail(node, field, "must be a string");
    return node.as<std::string>();
  }

  uint32_t status(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar()) fail(node, field, "must be an HTTP status from 100 to 599");
    const std::string text = node.as<std::string>();
    if (text.size() != 3 || text.find_first_not_of("0123456789") != std::string::npos || text < "100" || text > "599") {
      fail(node, field, "must be an HTTP status from 100 to 599, not \"" + text + "\"");
    }
    return static_cast<uint32_t>(std::stoul(text));
  }

  Headers headers(const YAML::Node& node, const std::string& field) const {
    if (!node.IsMap()) fail(node, field, "must be a mapping of header names to values");
    Headers out;
    for (const auto& entry : node) {
      auto name = key_of(entry.first, field);
      out.emplace_back(lower_case(name), scalar(entry.second, field + "." + name));
    }
    return out;
  }

  std::vector<ExpectedHeader> expected_headers(const YAML::Node& node, const std::string& field) const {
    if (!node.IsMap()) fail(node, field, "must be a mapping of header names to values (null: must be absent)");
    std::vector<ExpectedHeader> out;
    for (const auto& entry : node) {
      auto name = key_of(entry.first, field);
      if (entry.second.IsNull()) {
        out.push_back({lower_case(name), std::nullopt});
      } else {
        out.push_back({lower_case(name), scalar(entry.second, field + "." + name)});
      }
    }
    return out;
  }

  HttpMessage request(const YAML::Node& node, const std::string& field) const {
    only_keys(node, field, {"headers", "body", "trailers"});
    HttpMessage message;
    if (node["headers"]) message.headers = headers(node["headers"], field + ".headers");
    if (node["body"]) message.body = scalar(node["body"], field + ".body");
    if (node["trailers"]) message.trailers = headers(node["trailers"], field + ".trailers");
    // What Envoy's HTTP/1 codec always gives a filter.
    const std::pair<const char*, const char*> defaults[] = {
        {":authority", "localhost"}, {":path", "/"}, {":method", "GET"}, {":scheme", "http"}};
    for (const auto& [name, value] : defaults) {
      if (!header_value(message.headers, name)) message.headers.insert(message.headers.begin(), {name, value});
    }
    return message;
  }

  HttpMessage upstream(const YAML::Node& node, const std::string& field) const {
    only_keys(node, field, {"status", "headers", "body", "trailers"});
    HttpMessage message;
    uint32_t code = node["status"] ? status(node["status"], field + ".status") : 200;
    message.headers.emplace_back(":status", std::to_string(code));
    if (node["headers"]) {
      for (auto& h : headers(node["headers"], field + ".headers")) message.headers.push_back(std::move(h));
    }
    if (node["body"]) message.body = scalar(node["body"], field + ".body");
    if (node["trailers"]) message.trailers = headers(node["trailers"], field + ".trailers");
    return message;
  }

  std::vector<HttpCallAnswer> http_calls(const YAML::Node& node, const std::string& field) const {
    if (!node.IsSequence()) fail(node, field, "must be a list of answers, in the order the calls are made");
    std::vector<HttpCallAnswer> out;
    for (size_t i = 0; i < node.size(); ++i) {
      std::string f = field + "[" + std::to_string(i) + "]";
      const auto& n = node[i];
      only_keys(n, f, {"cluster", "status", "headers", "body", "fail"});
      HttpCallAnswer answer;
      if (n["cluster"]) answer.cluster = scalar(n["cluster"], f + ".cluster");
      if (n["fail"]) {
        // The call fails (refused, reset, timed out): the filter sees a response without headers.
        if (!n["fail"].IsScalar() || n["fail"].as<std::string>() != "true")
          fail(n["fail"], f + ".fail", "must be true");
        if (n["status"] || n["headers"] || n["body"]) fail(n, f, "a failed call has no status, headers or body");
        answer.status = 0;
      }
      if (n["status"]) answer.status = status(n["status"], f + ".status");
      if (n["headers"]) answer.headers = headers(n["headers"], f + ".headers");
      if (n["body"]) answer.body = scalar(n["body"], f + ".body");
      out.push_back(std::move(answer));
    }
    return out;
  }

  Expectation expectation(const YAML::Node& node, const std::string& field) const {
    only_keys(node, field,
              {"status", "headers", "body", "upstreamHeaders", "upstreamBody", "logs", "metrics", "vmFailure"});
    Expectation e;
    if (node["status"]) e.status = status(node["status"], field + ".status");
    if (node["headers"]) e.headers = expected_headers(node["headers"], field + ".headers");
    if (node["body"]) e.body = scalar(node["body"], field + ".body");
    if (node["upstreamHeaders"])
      e.upstream_headers = expected_headers(node["upstreamHeaders"], field + ".upstreamHeaders");
    if (node["upstreamBody"]) e.upstream_body = scalar(node["upstreamBody"], field + ".upstreamBody");
    if (node["vmFailure"]) e.vm_failure = scalar(node["vmFailure"], field + ".vmFailure");
    if (const auto& logs = node["logs"]) {
      if (!logs.IsSequence()) fail(logs, field + ".logs", "must be a list of strings");
      for (size_t i = 0; i < logs.size(); ++i)
        e.logs.push_back(scalar(logs[i], field + ".logs[" + std::to_string(i) + "]"));
    }
    if (const auto& metrics = node["metrics"]) {
      if (!metrics.IsMap()) fail(metrics, field + ".metrics", "must be a mapping of metric names to numbers");
      for (const auto& entry : metrics) {
        auto name = key_of(entry.first, field + ".metrics");
        try {
          e.metrics.emplace_back(name, entry.second.as<int64_t>());
        } catch (const YAML::Exception&) {
          fail(entry.second, field + ".metrics." + name, "must be an integer");
        }
      }
    }
    return e;
  }

  TestCase test_case(const YAML::Node& node, size_t index) const {
    std::string field = "cases[" + std::to_string(index) + "]";
    only_keys(node, field, {"name", "request", "upstream", "httpCalls", "ticks", "expect"});
    TestCase c;
    c.line = node.Mark().line + 1;
    if (!node["name"]) fail(node, field + ".name", "missing: every case needs a name");
    c.name = scalar(node["name"], field + ".name");
    if (node["ticks"]) {
      try {
        c.ticks = node["ticks"].as<uint32_t>();
      } catch (const YAML::Exception&) {
        fail(node["ticks"], field + ".ticks", "must be a whole number");
      }
      if (c.ticks > 10000) fail(node["ticks"], field + ".ticks", "at most 10000");
    }
    if (node["request"]) {
      c.request = request(node["request"], field + ".request");
    } else if (c.ticks == 0) {
      c.request = request(YAML::Node(YAML::NodeType::Map), field + ".request");
    }
    c.upstream = upstream(node["upstream"] ? node["upstream"] : YAML::Node(YAML::NodeType::Map), field + ".upstream");
    if (node["httpCalls"]) c.http_calls = http_calls(node["httpCalls"], field + ".httpCalls");
    if (node["expect"]) c.expect = expectation(node["expect"], field + ".expect");
    if (!c.request && (c.expect.status || !c.expect.headers.empty() || c.expect.body ||
                       !c.expect.upstream_headers.empty() || c.expect.upstream_body)) {
      fail(node, field + ".expect", "a ticks-only case (no request) cannot expect a response or an upstream request");
    }
    return c;
  }

  CasesFile file(const YAML::Node& root) const {
    if (!root.IsMap()) fail(root, "(top level)", "must be a mapping with a `cases` list");
    only_keys(root, "", {"config", "rootId", "vmConfig", "properties", "cases"});
    CasesFile f;
    f.path = path_;
    if (const auto& config = root["config"]) {
      // A mapping is taken as JSON, so configurations need not be quoted twice.
      if (config.IsScalar()) {
        f.config = config.as<std::string>();
      } else {
        size_t budget = kMaxConfigNodes;
        f.config = to_json(config, 0, budget).dump();
      }
    }
    if (root["rootId"]) f.root_id = scalar(root["rootId"], "rootId");
    if (root["vmConfig"]) f.vm_config = scalar(root["vmConfig"], "vmConfig");
    if (const auto& props = root["properties"]) {
      if (!props.IsMap()) fail(props, "properties", "must be a mapping of dotted paths to strings");
      for (const auto& entry : props) {
        auto key = key_of(entry.first, "properties");
        f.properties[key] = scalar(entry.second, "properties." + key);
      }
    }
    const auto& cases = root["cases"];
    if (!cases || !cases.IsSequence() || cases.size() == 0)
      fail(root, "cases", "missing or empty: list at least one case");
    std::set<std::string> names;
    for (size_t i = 0; i < cases.size(); ++i) {
      TestCase c = test_case(cases[i], i);
      if (!names.insert(c.name).second)
        fail(cases[i], "cases[" + std::to_string(i) + "].name", "\"" + c.name + "\" is used twice");
      f.cases.push_back(std::move(c));
    }
    return f;
  }

 private:
  // A YAML mapping as JSON. Aliases can make a node contain itself or fan out exponentially
  // (yaml-cpp registers an anchor before its children): depth and node count are bounded.
  nlohmann::json to_json(const YAML::Node& node, int depth, size_t& budget) const {
    if (depth > kMaxDepth)
      fail(node, "config", "nested deeper than " + std::to_string(kMaxDepth) + " levels (an alias loop?)");
    if (budget-- == 0) fail(node, "config", "over " + std::to_string(kMaxConfigNodes) + " values (aliases expanding?)");
    if (node.IsMap()) {
      auto object = nlohmann::json::object();
      for (const auto& entry : node) object[key_of(entry.first, "config")] = to_json(entry.second, depth + 1, budget);
      return object;
    }
    if (node.IsSequence()) {
      auto array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(to_json(item, depth + 1, budget));
      return array;
    }
    if (node.IsNull()) return nullptr;
    // Plain scalars keep YAML's reading of numbers and booleans when JSON reads them the same
    // way; quoted ones, and words like nan or 0x1F, stay strings.
    const std::string text = node.as<std::string>();
    if (node.Tag() == "?") {
      auto parsed = nlohmann::json::parse(text, nullptr, false);
      if (parsed.is_number() || parsed.is_boolean()) return parsed;
    }
    return text;
  }

  std::string path_;
};

}  // namespace

CasesFile parse_cases(const std::string& text, const std::string& path) {
  auto invalid = [&](const std::string& message) {
    return Error(ErrorKind::invalid_input, path + ": " + message).with_exit_status(2);
  };
  if (text.size() > kMaxFileBytes) throw invalid("over 4 MiB; split the cases into several files");
  if (yaml_nesting_bound(text) > kMaxDepth)
    throw invalid("nested deeper than " + std::to_string(kMaxDepth) + " levels");
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw invalid("line " + std::to_string(e.mark.line + 1) + ": nested too deeply");
  } catch (const YAML::Exception& e) {
    throw invalid("line " + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  return Parser(path).file(root);
}

CasesFile load_cases(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::not_found, path.string() + ": cannot read the cases file").with_exit_status(2);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_cases(text.str(), path.string());
}

}  // namespace wasme::host
