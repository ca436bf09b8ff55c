// wasme pull REF: fetch an image from its registry into the local store, verified.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "cli/verify_key.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/registry/pull.hpp"
#include "wasme/sign/verified.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string reference;
  std::uint64_t max_size = 0;
  std::string verify_key;
  StoreOption store;
  RegistryFlags registry;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& flags, const GlobalOptions& globals) {
  oci::Reference reference = oci::Reference::parse(flags.reference);
  registry::RemoteOptions options = flags.registry.resolve();
  if (flags.max_size > 0) options.max_module_size = flags.max_size;
  store::Store store = flags.store.open();
  registry::PullResult result;
  std::optional<sign::VerifyResult> verified;
  if (!flags.verify_key.empty()) {
    sign::Key key = read_public_key(flags.verify_key);
    registry::Client client(options, make_observer(globals));
    auto v = sign::verified_pull(client, store, reference, key);
    result = v.pull;
    verified = v.verification;
  } else {
    result = registry::pull(store, reference, options, make_observer(globals));
  }
  if (flags.output == OutputFormat::json) {
    return print_json({{"reference", result.reference.str()},
                       {"manifestDigest", result.manifest_digest.str()},
                       {"wasmDigest", result.wasm_digest.str()},
                       {"size", result.wasm_size},
                       {"format", oci::to_string(result.format)},
                       {"mediaType", result.manifest_media_type},
                       {"blobsDownloaded", result.blobs_downloaded},
                       {"blobsPresent", result.blobs_present},
                       {"blobsRepaired", result.blobs_repaired},
                       {"verifiedSignatures", verified ? verified->verified : 0}});
  }
  std::cout << "pulled " << result.reference.str() << " (" << oci::to_string(result.format) << ", "
            << format_size(result.wasm_size) << ")\n"
            << "manifest digest: " << result.manifest_digest.str() << "\n"
            << "wasm sha256:     " << result.wasm_digest.hex() << "\n";
  if (result.blobs_repaired > 0) {
    std::cout << "repaired:        " << result.blobs_repaired << " damaged blob"
              << (result.blobs_repaired == 1 ? "" : "s") << " downloaded again\n";
  }
  if (verified) std::cout << "signatures:      " << verified->verified << " verify with " << flags.verify_key << "\n";
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto flags = std::make_shared<Flags>();
  app.add_option("REF", flags->reference, "Image reference, by tag or digest")->required();
  app.add_option("--max-size", flags->max_size, "Largest module to accept (default 256MiB, as Istio)")
      ->transform(CLI::AsSizeValue(false));
  add_verify_key_option(app, flags->verify_key);
  add_store_option(app, flags->store);
  add_registry_flags(app, flags->registry);
  add_output_option(app, flags->output);
  app.callback([flags, &globals] { run(*flags, globals); });
}

const Registration registration{{"pull", "Pull an image from a registry into the local store", &setup}};

}  // namespace
}  // namespace wasme::cli
