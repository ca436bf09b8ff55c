// wasme build assemblyscript DIR -t REF: compile an AssemblyScript filter and store it as an image.
#include "cli/build_output.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "wasme/build/assemblyscript.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  build::AsBuildRequest request;
  std::string dir;
  std::string tag;
  std::string config;
  std::string format;
  StoreOption store;
  OutputFormat output = OutputFormat::text;
};

void run(Flags& flags) {
  build::AsBuildRequest& request = flags.request;
  request.source_dir = flags.dir;
  request.reference = oci::Reference::parse(flags.tag);
  if (!flags.config.empty()) request.config_file = flags.config;
  request.format = stored_format(flags.format);
  store::Store store = flags.store.open();
  build::AsBuildResult result = build::build_assemblyscript(store, request, system_process_runner(), note_log());
  print_build_result(result.package, flags.output, result.module_file);
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  auto& r = flags->request;
  app.add_option("DIR", flags->dir, "The filter's npm project (made by `wasme init --language assemblyscript`)")
      ->required();
  app.add_option("-t,--tag", flags->tag, "Image reference to store it as (e.g. localhost:5000/me/filter:v1)")
      ->required();
  app.add_option("--entry", r.entry, "The filter's entry file, in DIR")->default_str(r.entry);
  app.add_option("--asc-output", r.output, "Where asc writes the module, in DIR")->default_str(r.output);
  app.add_option("--asc-opt", r.asc_options, "Argument for asc (repeatable; write --asc-opt=--flag for flags)");
  app.add_option("-c,--config", flags->config, "runtime-config.json (default: DIR/runtime-config.json)");
  add_format_option(app, flags->format, "The layout stored: wasme (default), compat or cncf");
  add_store_option(app, flags->store);
  add_output_option(app, flags->output);
  app.callback([flags] { run(*flags); });
}

const Registration registration{
    {"build assemblyscript", "Compile an AssemblyScript filter (npm, asc) and store it as an image", &setup}};

}  // namespace
}  // namespace wasme::cli
