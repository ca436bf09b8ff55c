// wasme rm REF...: remove images from the store, and the blobs no other image uses.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "wasme/core/error.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::vector<std::string> refs;
  StoreOption store;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& flags) {
  // Parse every reference first, so a typo in the last one removes nothing.
  std::vector<oci::Reference> refs;
  for (const auto& r : flags.refs) refs.push_back(oci::Reference::parse(r));
  store::Store store = flags.store.open();
  for (const auto& ref : refs) {  // all exist, or nothing is removed
    if (!store.find(ref)) {
      throw Error(ErrorKind::not_found, "no image " + ref.str() + " in the store " + store.root().string(),
                  "see what is stored with `wasme list`");
    }
  }
  nlohmann::json removed = nlohmann::json::array();
  for (const auto& ref : refs) {
    store.remove(ref);
    removed.push_back(ref.str());
    if (flags.output == OutputFormat::text) std::cout << "removed " << ref.str() << "\n";
  }
  if (flags.output == OutputFormat::json) print_json({{"removed", removed}});
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  app.add_option("REF", flags->refs, "Images to remove")->required();
  add_store_option(app, flags->store);
  add_output_option(app, flags->output);
  app.callback([flags] { run(*flags); });
}

const Registration registration{{"rm", "Remove images from the local store", &setup}};

}  // namespace
}  // namespace wasme::cli
