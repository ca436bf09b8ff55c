#pragma once

namespace wasme::cli {

// Parses argv, runs the chosen command, prints errors; returns the exit status:
// 0 ok, 1 failure, 2 usage error (bad flags, unknown command), or a tool's own status.
int run(int argc, char** argv);

}  // namespace wasme::cli
