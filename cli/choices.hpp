#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace wasme::cli {

// The values an option or positional takes, declared where it is added, so that the
// completion scripts and the man page list them from the same place as --help. CLI11 options
// carry no user data, so the list rides on a named validator: `one_of` (output.hpp) names its
// own, so enforced lists are declared by enforcing them; with_choices adds an inactive one
// for values the library checks itself (with its own messages and hints).
CLI::Option* with_choices(CLI::Option* option, const std::vector<std::string>& names);

// The name of the validator that carries names ("wasme-choices:a,b").
std::string choices_validator_name(const std::vector<std::string>& names);

// The values declared for option, in declaration order; empty when none were.
std::vector<std::string> choices_of(CLI::Option& option);

}  // namespace wasme::cli
