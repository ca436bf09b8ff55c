#include "cli/verify_key.hpp"

#include "wasme/core/fs.hpp"

namespace wasme::cli {

void add_verify_key_option(CLI::App& app, std::string& path) {
  app.add_option("--verify-key", path,
                 "Refuse the image unless a cosign signature by this public key (cosign.pub) names its digest");
}

sign::Key read_public_key(const std::string& path) { return sign::load_public_key(read_file(path, 64u << 10), path); }

}  // namespace wasme::cli
