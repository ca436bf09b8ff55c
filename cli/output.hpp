#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

#include "wasme/core/log.hpp"

namespace wasme::cli {

enum class OutputFormat { text, json };

// Adds -o/--output text|json.
void add_output_option(CLI::App& app, OutputFormat& format);

// A validator for an option that takes one of names (any case), failing with
// `"yaml" is not one of: text, json`. Add it with transform() after the option's
// CheckedTransformer, so it runs first (CLI11 puts transforms in front). The names are the
// option's choices for completion and the man page (choices.hpp).
CLI::Validator one_of(const std::vector<std::string>& names);

// Prints JSON (pretty, newline-terminated) on stdout.
void print_json(const nlohmann::json& value);

// Prints rows as a table with left-aligned columns separated by two spaces.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// Writes a warning or note to stderr: "wasme: warning: …".
// Control characters (C0, DEL, C1) shown as \xNN or \uNNNN: text from registries, modules and
// files printed to a terminal must not move the cursor, retitle the window or forge lines.
std::string printable(std::string_view text);
// The same, keeping line breaks (messages and hints that list choices a line each).
std::string printable_lines(std::string_view text);

void warn(const std::string& message);
void note(const std::string& message);
// A Log whose lines are notes: how lib's progress lines (builds, apply) reach the user.
Log note_log();

}  // namespace wasme::cli
