#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace wasme::cli {

enum class OutputFormat { text, json };

// Adds -o/--output text|json.
void add_output_option(CLI::App& app, OutputFormat& format);

// Prints JSON (pretty, newline-terminated) on stdout.
void print_json(const nlohmann::json& value);

// Prints rows as a table with left-aligned columns separated by two spaces.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// Writes a warning or note to stderr: "wasme: warning: …".
void warn(const std::string& message);
void note(const std::string& message);

}  // namespace wasme::cli
