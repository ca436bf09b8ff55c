#pragma once
#include <string>
#include <utility>
#include <vector>

#include "cli/docgen.hpp"

namespace wasme::cli {

enum class Shell { bash, zsh, fish };

// What a completion script needs to know about one command, flattened for shell code that
// has no nested data: every script is a few lookup functions over these rows and one fixed
// routine that walks the words typed so far.
struct CompletionRow {
  std::string path;                                           // "" for wasme, "deploy istio"
  std::vector<std::pair<std::string, std::string>> commands;  // name, summary
  std::vector<std::pair<std::string, std::string>> flags;     // every name of every flag, description
  std::vector<std::string> value_flags;                       // the names that take a value
  // A flag name, or "#N" for the Nth positional (from 0), and the values it takes.
  std::vector<std::pair<std::string, std::vector<std::string>>> choices;
  // value_source_name of each positional; the last ends in "+" when it repeats.
  std::vector<std::string> positionals;
};

// What a lookup function of a script answers for one row: key (the command's path, or
// "path|flag") -> words. The three shells' scripts share these.
using Branches = std::vector<std::pair<std::string, std::vector<std::string>>>;
Branches value_flag_branches(const CompletionRow& row);  // the flags that take a value
Branches choice_branches(const CompletionRow& row);      // "path|flag" or "path|#N" -> values
Branches positional_branches(const CompletionRow& row);  // what each positional completes

// One row per command of the tree; each command's flags include the global ones (-v).
std::vector<CompletionRow> completion_rows(const CommandDoc& root);

// The completion script for shell, its data generated from root.
std::string completion_script(Shell shell, const CommandDoc& root);

std::string bash_completion(const std::vector<CompletionRow>& rows);
std::string zsh_completion(const std::vector<CompletionRow>& rows);
std::string fish_completion(const std::vector<CompletionRow>& rows);

// text as one single-quoted POSIX shell word (bash and zsh).
std::string shell_quote(const std::string& text);
// text without line breaks: descriptions are one line in every script.
std::string one_line(const std::string& text);

}  // namespace wasme::cli
