#include "cli/deploy_image.hpp"

#include "cli/output.hpp"
#include "cli/verify_key.hpp"
#include "wasme/core/error.hpp"
#include "wasme/oci/consumers.hpp"
#include "wasme/registry/pull.hpp"
#include "wasme/sign/verified.hpp"

namespace wasme::cli {

image::ImageSummary resolve_image(const std::string& text, const StoreOption& store_option,
                                  const RegistryFlags& registry, const GlobalOptions& globals,
                                  const std::string& verify_key) {
  oci::Reference reference = oci::Reference::parse(text);
  store::Store store = store_option.open();
  if (!verify_key.empty()) {
    sign::Key key = read_public_key(verify_key);
    registry::Client client(registry.resolve(), make_observer(globals));
    sign::VerifyResult verified;
    if (!store.find(reference)) {
      note("pulling " + reference.str() + " (not in the local store)");
      verified = sign::verified_pull(client, store, reference, key).verification;
    } else {
      verified = sign::verify_stored(client, store, reference, key);
    }
    note("verified " + verified.manifest_digest.str() + ": " + std::to_string(verified.verified) + " signature(s) by " +
         verify_key);
  } else if (!store.find(reference)) {
    note("pulling " + reference.str() + " (not in the local store)");
    registry::pull(store, reference, registry.resolve(), make_observer(globals));
  }
  return image::summarize(store, reference);
}

std::optional<std::string> layout_warning(const image::ImageSummary& image, const std::string& consumer,
                                          const std::string& who) {
  auto reason = oci::rejected_by_all(image.manifest, oci::checked_facts(image.format), {consumer});
  if (!reason) return std::nullopt;
  return who + " will not fetch " + image.reference.str() + " (" + oci::to_string(image.format) +
         " layout): " + *reason +
         "; push it with --format wasme or --format compat (wasme copy --format wasme SRC DST converts "
         "one in a registry)";
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
