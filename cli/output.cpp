#include "cli/output.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/choices.hpp"

namespace wasme::cli {

void add_output_option(CLI::App& app, OutputFormat& format) {
  std::map<std::string, OutputFormat> names{{"text", OutputFormat::text}, {"json", OutputFormat::json}};
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
      "", choices_validator_name(names));  // the name carries the list to completion and man
}

// Strings from outside (module logs, registry answers) may not be UTF-8: replace what is not,
// rather than lose the whole document to an exception.
void print_json(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    // C1 controls arrive as UTF-8 0xC2 0x80-0x9F: terminals act on them (CSI = 0x9B) too.
    const bool c1 = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7F || c1) {
      const unsigned value = c1 ? static_cast<unsigned char>(text[++i]) : c;
      char buf[8];
      std::snprintf(buf, sizeof buf, c1 ? "\\u%04x" : "\\x%02x", value);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string printable_lines(std::string_view text) {
  std::string out;
  size_t start = 0;
  for (;;) {
    size_t end = text.find('\n', start);
    out += printable(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    out += '\n';
    start = end + 1;
  }
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& given_rows) {
  // Cells hold names from registries and modules: nothing in them may drive the terminal.
  std::vector<std::vector<std::string>> rows = given_rows;
  for (auto& row : rows) {
    for (auto& cell : row) cell = printable(cell);
  }
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

void warn(const std::string& message) { std::cerr << "wasme: warning: " << printable(message) << "\n"; }
void note(const std::string& message) { std::cerr << "wasme: " << printable(message) << "\n"; }

Log note_log() {
  return [](std::string_view line) { note(std::string(line)); };
}

}  // namespace wasme::cli
