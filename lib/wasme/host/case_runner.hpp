#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "wasme/host/cases.hpp"
#include "wasme/host/engine.hpp"

namespace wasme::host {

struct CaseResult {
  std::string name;
  bool passed = false;
  std::vector<std::string> failures;  // "status: expected 200, got 503", one per mismatch
  std::vector<std::string> logs;      // the module's log lines during the case
  double seconds = 0;
};

struct FileResult {
  std::string path;
  std::vector<CaseResult> cases;
  size_t passed() const;
  size_t failed() const;
};

struct TestOptions {
  InstanceLimits limits;
  std::string default_root_id;  // the image's first root id, when the file names none
  std::string plugin_name = "wasme-test";
};

// Runs a cases file in one fresh VM, cases in order, as one Envoy worker would. A plugin that
// does not start fails every case with the reason. Throws Error only for a module that cannot
// be loaded at all.
FileResult run_cases(const Engine& engine, std::string_view wasm, const CasesFile& file, const TestOptions& options);

}  // namespace wasme::host
