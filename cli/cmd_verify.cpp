// wasme verify REF --key PUB: does the image's current digest carry a signature by this key?
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/sign/cosign.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string reference;
  std::string key;
  RegistryFlags registry;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& flags, const GlobalOptions& globals) {
  oci::Reference reference = oci::Reference::parse(flags.reference);
  sign::Key key = sign::load_public_key(read_file(flags.key, 64u << 10), flags.key);
  registry::Client client(flags.registry.resolve(), make_observer(globals));
  sign::VerifyResult result = sign::verify_image(client, reference, key);
  if (flags.output == OutputFormat::json) {
    return print_json({{"reference", reference.str()},
                       {"manifestDigest", result.manifest_digest.str()},
                       {"signatures", result.signatures},
                       {"verified", result.verified},
                       {"problems", result.problems}});
  }
  std::cout << "verified " << reference.str() << "\n"
            << "manifest digest: " << result.manifest_digest.str() << "\n"
            << "signatures:      " << result.verified << " of " << result.signatures << " verify with " << flags.key
            << "\n";
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto flags = std::make_shared<Flags>();
  app.add_option("REF", flags->reference, "Image reference in a registry, by tag or digest")->required();
  app.add_option("--key", flags->key, "The public key (cosign.pub)")->required();
  add_registry_flags(app, flags->registry);
  add_output_option(app, flags->output);
  app.footer("Exit status: 0 when a signature by the key names the image's current digest, 1 otherwise.");
  app.callback([flags, &globals] { run(*flags, globals); });
}

const Registration registration{{"verify", "Check an image's cosign signatures against a public key", &setup}};

}  // namespace
}  // namespace wasme::cli
