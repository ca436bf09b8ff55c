#pragma once
#include <string>

namespace wasme::cli {

// Reads a line from the terminal without echoing it (a password). Throws Error(usage) with
// hint when the terminal cannot stop echoing.
std::string prompt_hidden(const std::string& prompt, const std::string& hint);

enum class KeyPassword { existing_key, new_key };
// A signing key's password: COSIGN_PASSWORD when set, else asked on the terminal (twice for a
// new key), else Error(usage) saying to set COSIGN_PASSWORD.
std::string key_password(KeyPassword purpose);

}  // namespace wasme::cli
