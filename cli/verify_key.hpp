#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "wasme/sign/keys.hpp"

namespace wasme::cli {

// --verify-key PUB: nothing is stored, rendered or cached unless a signature by this cosign
// public key names the image's digest.
void add_verify_key_option(CLI::App& app, std::string& path);
sign::Key read_public_key(const std::string& path);

}  // namespace wasme::cli
