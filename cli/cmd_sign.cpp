// wasme sign REF --key KEY: sign an image in its registry, where cosign looks for signatures.
#include <iostream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "cli/prompt.hpp"
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
  sign::Key key = sign::load_private_key(
      read_file(flags.key, 64u << 10), [] { return key_password(KeyPassword::existing_key); }, flags.key);
  registry::Client client(flags.registry.resolve(), make_observer(globals));
  sign::SignResult result = sign::sign_image(client, reference, key);
  if (flags.output == OutputFormat::json) {
    return print_json({{"reference", reference.str()},
                       {"manifestDigest", result.manifest_digest.str()},
                       {"signatureTag", result.signature_tag},
                       {"signatures", result.signatures},
                       {"alreadySigned", result.already_signed}});
  }
  std::cout << (result.already_signed ? "already signed " : "signed ") << reference.str() << " ("
            << result.manifest_digest.str() << ") with the " << key.describe() << " key\n"
            << "signatures in " << result.signature_tag << ": " << result.signatures << "\n";
}

void setup(CLI::App& app, GlobalOptions& globals) {
  auto flags = std::make_shared<Flags>();
  app.add_option("REF", flags->reference, "Image reference in a registry, by tag or digest")->required();
  app.add_option("--key", flags->key, "cosign.key (password: COSIGN_PASSWORD or the terminal) or a PEM private key")
      ->required();
  add_registry_flags(app, flags->registry);
  add_output_option(app, flags->output);
  app.callback([flags, &globals] { run(*flags, globals); });
}

const Registration registration{
    {"sign", "Sign an image in its registry, as cosign does (sha256-<digest>.sig)", &setup}};

}  // namespace
}  // namespace wasme::cli
