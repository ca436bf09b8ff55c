#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace wasme::cli {

// What a shell completes a value from.
enum class ValueSource {
  none,           // nothing to offer (a name, a number)
  choices,        // the declared choices (choices.hpp)
  image,          // the references in the local store
  image_or_file,  // a stored reference or a .wasm file
  file,
  directory,
};

// "image", "image_or_file", …: how the JSON and the completion scripts name a source.
const char* value_source_name(ValueSource source);

// One flag as --help shows it.
struct FlagDoc {
  std::vector<std::string> names;  // "-o", "--output": short names first
  std::string value_name;          // "TEXT", "UINT", …; empty for a flag that takes no value
  std::string description;
  std::string default_value;
  std::vector<std::string> choices;
  bool required = false;
  bool repeatable = false;
};

// One positional argument.
struct PositionalDoc {
  std::string name;  // "REF", "DIR"
  std::string description;
  std::vector<std::string> choices;
  ValueSource completes = ValueSource::none;
  bool required = false;
  bool repeatable = false;  // takes every remaining word
};

// One command of the tree: wasme itself (empty path) or a subcommand ("deploy istio").
struct CommandDoc {
  std::string path;
  std::string summary;
  std::string footer;  // what --help prints after the options (exit status, notes)
  std::vector<FlagDoc> flags;
  std::vector<PositionalDoc> positionals;
  std::vector<CommandDoc> commands;  // by name
  bool runnable = true;              // false for a group that needs one of its commands
};

// The visible command tree the CLI11 apps describe (hidden commands and options left out),
// read from the apps the command table built, so completions and the man page cannot drift
// from --help.
CommandDoc describe_commands(CLI::App& root);

// Every command of the tree, depth first, root included.
std::vector<const CommandDoc*> all_commands(const CommandDoc& root);

// The root's flags a subcommand accepts too (-v; CLI11 falls through to the root), which
// completion offers everywhere; --help and --version are each command's own or root-only.
std::vector<FlagDoc> global_flags(const CommandDoc& root);

// The app at the top of app's tree: what a command that describes the CLI describes.
CLI::App& root_of(CLI::App& app);

// The tree as JSON, for `wasme __commands` (tests compare it with the scripts and the page).
nlohmann::json to_json(const CommandDoc& command);

}  // namespace wasme::cli
