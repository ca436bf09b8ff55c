// wasme build DIR -t REF: the group for build cpp, assemblyscript and precompiled; given a
// directory itself, it picks the language from what the directory holds.
#include "cli/build_output.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/suggest.hpp"
#include "wasme/build/assemblyscript.hpp"
#include "wasme/build/cpp.hpp"
#include "wasme/core/error.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string dir;
  std::string tag;
  std::string config;
  std::string format;
  StoreOption store;
  OutputFormat output = OutputFormat::text;
};

enum class Language { cpp, assemblyscript };

Language detect(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const char* marker : {"WORKSPACE", "WORKSPACE.bazel", "MODULE.bazel", "BUILD", "BUILD.bazel"}) {
    if (std::filesystem::exists(dir / marker, ec)) return Language::cpp;
  }
  if (build::is_assemblyscript_project(dir)) return Language::assemblyscript;
  throw Error(ErrorKind::usage,
              "cannot tell the language of " + dir.string() +
                  ": it has neither a Bazel WORKSPACE/BUILD (cpp) nor a package.json using assemblyscript",
              "name it: wasme build cpp DIR, wasme build assemblyscript DIR, or wasme build precompiled FILE");
}

void run(const Flags& flags) {
  if (flags.dir.empty())
    throw Error(ErrorKind::usage, "name a language (cpp, assemblyscript, precompiled) or a directory");
  std::error_code ec;
  if (!std::filesystem::exists(flags.dir, ec)) {
    // `wasme build precompild`: a mistyped language, not a missing directory.
    if (auto close = closest_word(flags.dir, {"cpp", "assemblyscript", "precompiled"})) {
      throw Error(ErrorKind::usage, "unknown command \"" + flags.dir + "\" for \"wasme build\"",
                  "Did you mean \"" + *close + "\"?");
    }
    throw Error(ErrorKind::not_found, "directory " + flags.dir + " does not exist",
                "give a filter project, or a language: wasme build cpp|assemblyscript|precompiled");
  }
  if (flags.tag.empty()) throw Error(ErrorKind::usage, "-t,--tag is required");
  const Language language = detect(flags.dir);
  store::Store store = flags.store.open();
  auto log = note_log();
  std::optional<std::filesystem::path> config;
  if (!flags.config.empty()) config = flags.config;
  if (language == Language::cpp) {
    build::CppBuildRequest request;
    request.source_dir = flags.dir;
    request.reference = oci::Reference::parse(flags.tag);
    request.config_file = config;
    request.format = stored_format(flags.format);
    auto result = build::build_cpp(store, request, system_process_runner(), log);
    return print_build_result(result.package, flags.output, result.module_file);
  }
  build::AsBuildRequest request;
  request.source_dir = flags.dir;
  request.reference = oci::Reference::parse(flags.tag);
  request.config_file = config;
  request.format = stored_format(flags.format);
  auto result = build::build_assemblyscript(store, request, system_process_runner(), log);
  print_build_result(result.package, flags.output, result.module_file);
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  app.add_option("DIR", flags->dir, "A filter project: Bazel (cpp) or npm with assemblyscript");
  app.add_option("-t,--tag", flags->tag, "Image reference to store it as (e.g. localhost:5000/me/filter:v1)");
  app.add_option("-c,--config", flags->config, "runtime-config.json (default: DIR/runtime-config.json)");
  add_format_option(app, flags->format, "The layout stored: wasme (default), compat or cncf");
  add_store_option(app, flags->store);
  add_output_option(app, flags->output);
  app.require_subcommand(0, 1);
  app.callback([flags, &app] {
    if (app.get_subcommands().empty()) run(*flags);
  });
}

const Registration registration{
    {"build", "Build a filter and store it as an image (the language from DIR, or named)", &setup}};

}  // namespace
}  // namespace wasme::cli
