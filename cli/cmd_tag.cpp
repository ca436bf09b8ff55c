// wasme tag SRC DST: another name for a stored image (no blob is copied).
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string source;
  std::string target;
  StoreOption store;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& flags) {
  oci::Reference src = oci::Reference::parse(flags.source);
  oci::Reference dst = oci::Reference::parse(flags.target);
  store::Store store = flags.store.open();
  store.tag(src, dst);
  if (flags.output == OutputFormat::json) {
    return print_json(
        {{"source", src.str()}, {"reference", dst.str()}, {"manifestDigest", store.get(dst).manifest.digest.str()}});
  }
  std::cout << "tagged " << src.str() << " as " << dst.str() << "\n";
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  app.add_option("SRC", flags->source, "A stored image")->required();
  app.add_option("DST", flags->target, "The new reference")->required();
  add_store_option(app, flags->store);
  add_output_option(app, flags->output);
  app.callback([flags] { run(*flags); });
}

const Registration registration{{"tag", "Give a stored image another reference", &setup}};

}  // namespace
}  // namespace wasme::cli
