// wasme test MODULE CASES.yaml...: runs a filter's cases in wasme's proxy-wasm host, without Envoy.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/host/case_runner.hpp"
#include "wasme/host/module_source.hpp"
#include "wasme/host/test_report.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string module;
  std::vector<std::string> cases;
  std::uint64_t max_memory = 256u << 20;
  std::uint64_t max_instructions = 100'000'000;
  std::string junit;
  StoreOption store;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& flags, GlobalOptions& globals) {
  // Every cases file is read before anything runs: a malformed one exits 2 with nothing run.
  std::vector<host::CasesFile> files;
  for (const auto& path : flags.cases) files.push_back(host::load_cases(path));
  host::LoadedModule module = host::load_module(flags.module, flags.store.open());
  auto engine = host::make_wabt_engine();
  host::TestOptions options;
  options.limits = {flags.max_memory, flags.max_instructions};
  options.default_root_id = module.root_id;
  std::vector<host::FileResult> results;
  for (const auto& file : files) results.push_back(host::run_cases(*engine, module.bytes, file, options));

  if (!flags.junit.empty()) write_user_file(flags.junit, host::junit_report(results));
  if (flags.output == OutputFormat::json) {
    print_json(host::json_report(results));
  } else {
    std::cout << host::text_report(results);
  }
  for (const auto& r : results) {
    if (r.failed() > 0) globals.exit_status = 1;
  }
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto flags = std::make_shared<Flags>();
  app.add_option("MODULE", flags->module, "A stored image reference or a .wasm file")->required();
  app.add_option("CASES", flags->cases, "Cases files (YAML; see docs/TESTING.md)")->required();
  app.add_option("--max-memory", flags->max_memory, "Memory the module may use (default 256MiB)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--max-instructions", flags->max_instructions,
                 "Instructions one callback may run before it is stopped (default 100000000)");
  app.add_option("--junit", flags->junit, "Also write the results as JUnit XML to this file");
  add_store_option(app, flags->store);
  add_output_option(app, flags->output);
  app.footer("Exit status: 0 when every case passes, 1 when any fails, 2 for a malformed cases file.");
  app.callback([flags, &globals] { run(*flags, globals); });
}

const Registration registration{{"test", "Run a filter's test cases without Envoy (embedded proxy-wasm host)", &setup}};

}  // namespace
}  // namespace wasme::cli
