#include "cli/output.hpp"

#include <algorithm>
#include <iostream>

namespace wasme::cli {

void add_output_option(CLI::App& app, OutputFormat& format) {
  std::map<std::string, OutputFormat> names{{"text", OutputFormat::text},
                                            {"json", OutputFormat::json}};
  app.add_option("-o,--output", format, "Output format: text or json")
      ->transform(CLI::CheckedTransformer(names, CLI::ignore_case))
      ->transform(one_of({"text", "json"}))
      ->default_str("text");
}

CLI::Validator one_of(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return CLI::Validator(
      [names, list](std::string& value) -> std::string {
        for (const auto& n : names) {
          if (CLI::detail::to_lower(value) == n) return "";
        }
        return "\"" + value + "\" is not one of: " + list;
      },
      "");
}

// Strings from outside (module logs, registry answers) may not be UTF-8: replace what is not,
// rather than lose the whole document to an exception.
void print_json(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size());
  for (size_t i = 0; i < header.size(); ++i) widths[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

void warn(const std::string& message) { std::cerr << "wasme: warning: " << message << "\n"; }
void note(const std::string& message) { std::cerr << "wasme: " << message << "\n"; }

}  // namespace wasme::cli
