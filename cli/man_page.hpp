#pragma once
#include <string>

#include "cli/docgen.hpp"

namespace wasme::cli {

// The roff source of wasme(1), every command and flag taken from root: NAME, SYNOPSIS,
// DESCRIPTION, OPTIONS (the global ones), COMMANDS (each command's usage, arguments and
// flags), EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO.
std::string man_page(const CommandDoc& root);

// text escaped for roff: backslashes, hyphens as \- (so copied flags stay ASCII), and a
// leading '.' or '\'' that would read as a request.
std::string roff_escape(const std::string& text);

}  // namespace wasme::cli
