// wasme generate-key-pair: a signing key pair in cosign's formats (cosign.key, cosign.pub).
#include <iostream>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/prompt.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/sign/keys.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string prefix = "cosign";
  bool force = false;
  OutputFormat output = OutputFormat::text;
};

void run(const Flags& flags) {
  const fs::path key_file = flags.prefix + ".key";
  const fs::path pub_file = flags.prefix + ".pub";
  std::error_code ec;
  for (const auto& f : {key_file, pub_file}) {
    if (!flags.force && fs::exists(fs::symlink_status(f, ec))) {
      throw Error(ErrorKind::usage, f.string() + " already exists; nothing was written",
                  "choose another --output-key-prefix, or pass --force to replace it");
    }
  }
  sign::KeyPair pair = sign::generate_key_pair(key_password(KeyPassword::new_key));
  write_user_file(key_file, pair.private_pem, 0600);  // the key is for its owner's eyes only
  write_user_file(pub_file, pair.public_pem, 0644);
  if (flags.output == OutputFormat::json) {
    return print_json({{"privateKey", key_file.string()}, {"publicKey", pub_file.string()}, {"kind", "ECDSA P-256"}});
  }
  std::cout << "Private key written to " << key_file.string() << "\n"
            << "Public key written to " << pub_file.string() << "\n";
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  app.add_option("--output-key-prefix", flags->prefix, "Write PREFIX.key and PREFIX.pub")->capture_default_str();
  app.add_flag("--force", flags->force, "Replace existing key files");
  add_output_option(app, flags->output);
  app.footer("The private key is encrypted with a password: COSIGN_PASSWORD, else asked twice on the terminal.");
  app.callback([flags] { run(*flags); });
}

const Registration registration{
    {"generate-key-pair", "Make a signing key pair cosign reads too (encrypted cosign.key, cosign.pub)", &setup}};

}  // namespace
}  // namespace wasme::cli
