// wasme __complete-images (hidden): the references in the local store, one a line, for the
// completion scripts. Reads index.json only (no blob is opened), so a TAB stays instant, and
// prints nothing rather than an error: a shell completing a word has nowhere to show one.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"

namespace wasme::cli {
namespace {

void run(const StoreOption& store) {
  try {
    store::Store opened(store.dir.empty() ? store::Store::default_root() : std::filesystem::path(store.dir));
    for (const store::StoredImage& image : opened.images()) std::cout << image.reference.str() << "\n";
  } catch (const std::exception&) {
    // No store, an unreadable one: nothing to offer.
  }
}

void setup(CLI::App& app, GlobalOptions&) {
  auto store = std::make_shared<StoreOption>();
  app.group("");  // for the completion scripts
  add_store_option(app, *store);
  app.callback([store] { run(*store); });
}

const Registration registration{
    {"__complete-images", "The stored image references, one a line (for completion)", &setup}};

}  // namespace
}  // namespace wasme::cli
