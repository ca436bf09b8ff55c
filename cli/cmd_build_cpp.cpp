// wasme build cpp DIR -t REF: build a C++ filter with Bazel and store it as an image.
#include <iostream>

#include "cli/build_output.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/image_view.hpp"
#include "cli/output.hpp"
#include "wasme/build/cpp.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  build::CppBuildRequest request;
  std::string dir;
  std::string tag;
  std::string bazel;
  std::string config;
  std::string format;
  StoreOption store;
  OutputFormat output = OutputFormat::text;
};

void run(Flags& flags) {
  build::CppBuildRequest& request = flags.request;
  request.source_dir = flags.dir;
  request.reference = oci::Reference::parse(flags.tag);
  if (!flags.bazel.empty()) request.bazel = flags.bazel;
  if (!flags.config.empty()) request.config_file = flags.config;
  request.format = stored_format(flags.format);
  store::Store store = flags.store.open();
  build::CppBuildResult result = build::build_cpp(store, request, system_process_runner(), note_log());
  print_build_result(result.package, flags.output, result.module_file);
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  auto& r = flags->request;
  app.add_option("DIR", flags->dir, "The filter's Bazel workspace (made by `wasme init`)")->required();
  app.add_option("-t,--tag", flags->tag, "Image reference to store it as (e.g. localhost:5000/me/filter:v1)")
      ->required();
  app.add_option("--bazel", flags->bazel, "Bazel to run (default: $WASME_BAZEL, else bazelisk, else bazel on PATH)");
  app.add_option("-g,--bazel-target", r.target, "Target to build")->default_str(r.target);
  app.add_option("-f,--bazel-output", r.output, "File the target writes, under bazel-bin/")->default_str(r.output);
  app.add_option("--bazel-opt", r.bazel_options,
                 "Argument for `bazel build` (repeatable; write --bazel-opt=--flag for flags)");
  app.add_option("--bazel-startup-opt", r.startup_options,
                 "Bazel startup option, e.g. --bazel-startup-opt=--output_user_root=DIR (repeatable; "
                 "also $WASME_BAZEL_STARTUP_OPTS)");
  app.add_option("-c,--config", flags->config, "runtime-config.json (default: DIR/runtime-config.json)");
  add_format_option(app, flags->format, "The layout stored: wasme (default), compat or cncf");
  add_store_option(app, flags->store);
  add_output_option(app, flags->output);
  app.callback([flags] { run(*flags); });
}

const Registration registration{{"build cpp", "Build a C++ filter with Bazel and store it as an image", &setup}};

}  // namespace
}  // namespace wasme::cli
