#include "cli/completion.hpp"

#include "wasme/core/error.hpp"

namespace wasme::cli {
namespace {

void add_flags(CompletionRow& row, const std::vector<FlagDoc>& flags) {
  for (const FlagDoc& flag : flags) {
    for (const std::string& name : flag.names) {
      row.flags.emplace_back(name, one_line(flag.description));
      if (!flag.value_name.empty()) row.value_flags.push_back(name);
      if (!flag.choices.empty()) row.choices.emplace_back(name, flag.choices);
    }
  }
}

CompletionRow row_for(const CommandDoc& command, const std::vector<FlagDoc>& globals) {
  CompletionRow row;
  row.path = command.path;
  for (const CommandDoc& sub : command.commands) {
    row.commands.emplace_back(sub.path.substr(sub.path.rfind(' ') + 1), one_line(sub.summary));
  }
  add_flags(row, command.flags);
  if (!command.path.empty()) add_flags(row, globals);
  for (size_t i = 0; i < command.positionals.size(); ++i) {
    const PositionalDoc& positional = command.positionals[i];
    std::string kind = value_source_name(positional.completes);
    if (positional.repeatable && i + 1 == command.positionals.size()) kind += "+";
    row.positionals.push_back(kind);
    if (!positional.choices.empty()) row.choices.emplace_back("#" + std::to_string(i), positional.choices);
  }
  return row;
}

}  // namespace

std::vector<CompletionRow> completion_rows(const CommandDoc& root) {
  std::vector<FlagDoc> globals = global_flags(root);
  std::vector<CompletionRow> rows;
  for (const CommandDoc* command : all_commands(root)) rows.push_back(row_for(*command, globals));
  return rows;
}

std::string completion_script(Shell shell, const CommandDoc& root) {
  std::vector<CompletionRow> rows = completion_rows(root);
  switch (shell) {
    case Shell::bash: return bash_completion(rows);
    case Shell::zsh: return zsh_completion(rows);
    case Shell::fish: return fish_completion(rows);
  }
  throw Error(ErrorKind::usage, "no completion for this shell");
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string one_line(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

Branches value_flag_branches(const CompletionRow& row) { return {{row.path, row.value_flags}}; }

Branches choice_branches(const CompletionRow& row) {
  Branches branches;
  for (const auto& [key, values] : row.choices) branches.emplace_back(row.path + "|" + key, values);
  return branches;
}

Branches positional_branches(const CompletionRow& row) { return {{row.path, row.positionals}}; }

}  // namespace wasme::cli
