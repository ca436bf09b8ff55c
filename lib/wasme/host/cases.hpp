#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wasme/host/exchange.hpp"

namespace wasme::host {

// A header a case expects: a value, or absent (null in the file).
struct ExpectedHeader {
  std::string name;
  std::optional<std::string> value;
};

struct Expectation {
  std::optional<uint32_t> status;
  std::vector<ExpectedHeader> headers;
  std::optional<std::string> body;
  std::vector<ExpectedHeader> upstream_headers;
  std::optional<std::string> upstream_body;
  std::vector<std::string> logs;                         // substrings of the module's log lines
  std::vector<std::pair<std::string, int64_t>> metrics;  // histograms: the number of samples
  std::optional<std::string> vm_failure;                 // the case expects the VM to fail so
};

// One answer to an HTTP call the filter makes; cluster, when given, is checked.
struct HttpCallAnswer {
  std::optional<std::string> cluster;
  uint32_t status = 200;  // 0: the call fails (`fail: true`)
  Headers headers;
  std::string body;
};

struct TestCase {
  std::string name;
  int line = 0;
  std::optional<HttpMessage> request;  // nullopt: a ticks-only case
  HttpMessage upstream;                // what the upstream answers (200, empty, by default)
  std::vector<HttpCallAnswer> http_calls;
  uint32_t ticks = 0;  // proxy_on_tick calls before the request
  Expectation expect;
};

// A cases file of `wasme test`: one plugin configuration, cases run in order in one VM.
struct CasesFile {
  std::string path;
  std::string config;                  // the plugin configuration
  std::optional<std::string> root_id;  // else the image's first root id
  std::string vm_config;
  std::map<std::string, std::string> properties;
  std::vector<TestCase> cases;
};

// Parses a cases file; throws Error(invalid_input, exit status 2) naming the file, line and
// field of the first problem.
CasesFile parse_cases(const std::string& text, const std::string& path);
CasesFile load_cases(const std::filesystem::path& path);

}  // namespace wasme::host
