// wasme build precompiled FILE -t REF: package a .wasm file into the local store.
#include <iostream>

#include "cli/build_output.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/image_view.hpp"
#include "cli/output.hpp"
#include "wasme/image/package.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string file;
  std::string tag;
  std::string config;
  std::vector<std::string> root_ids;
  std::vector<std::string> abi_versions;
  std::string format;
  StoreOption store;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& flags) {
  image::PackageRequest request;
  request.wasm_file = flags.file;
  request.reference = oci::Reference::parse(flags.tag);
  if (!flags.config.empty()) request.config_file = flags.config;
  request.root_ids = flags.root_ids;
  request.abi_versions = flags.abi_versions;
  request.format = stored_format(flags.format);
  store::Store store = flags.store.open();
  print_build_result(image::package_module(store, request), flags.output);
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  app.add_option("FILE", flags->file, "The compiled .wasm module")->required();
  app.add_option("-t,--tag", flags->tag, "Image reference to store it as (e.g. localhost:5000/me/filter:v1)")
      ->required();
  app.add_option("--config", flags->config, "runtime-config.json (type, abiVersions, config.rootIds)");
  app.add_option("--root-id", flags->root_ids, "Root id the filter registers (repeatable)");
  app.add_option("--abi-version", flags->abi_versions,
                 "ABI version to record (repeatable; default: read from the module)");
  add_format_option(app, flags->format, "The layout stored: wasme (default), compat or cncf");
  add_store_option(app, flags->store);
  add_output_option(app, flags->output);
  app.callback([flags] { run(*flags); });
}

const Registration registration{{"build precompiled", "Package a compiled .wasm module as an image", &setup}};

}  // namespace
}  // namespace wasme::cli
