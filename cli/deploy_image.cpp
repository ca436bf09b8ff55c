#include "cli/deploy_image.hpp"

#include "cli/output.hpp"
#include "wasme/core/error.hpp"
#include "wasme/registry/pull.hpp"

namespace wasme::cli {

image::ImageSummary resolve_image(const std::string& text, const StoreOption& store_option,
                                  const RegistryFlags& registry, const GlobalOptions& globals) {
  oci::Reference reference = oci::Reference::parse(text);
  store::Store store = store_option.open();
  if (!store.find(reference)) {
    note("pulling " + reference.str() + " (not in the local store)");
    registry::pull(store, reference, registry.resolve(), make_observer(globals));
  }
  return image::summarize(store, reference);
}

render::ModuleFacts module_facts(const image::ImageSummary& image) {
  render::ModuleFacts facts;
  facts.reference = image.reference.str();
  facts.wasm_sha256 = image.wasm_digest.hex();
  facts.manifest_digest = image.manifest_digest.hex();
  facts.root_ids = image.config.root_ids;
  facts.abi = image.module_abi;
  facts.manifest = image.manifest;
  return facts;
}

}  // namespace wasme::cli
