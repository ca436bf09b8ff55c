#include "cli/docgen.hpp"

#include <algorithm>
#include <map>

#include "cli/choices.hpp"

namespace wasme::cli {
namespace {

// What a positional completes, by the name --help gives it: the names say what the argument
// is (REF, DIR), so a command added later completes without declaring anything.
ValueSource source_for(const std::string& positional) {
  static const std::map<std::string, ValueSource> by_name{
      {"REF", ValueSource::image},
      {"IMAGE", ValueSource::image},
      {"SRC", ValueSource::image},
      {"REF|FILE", ValueSource::image_or_file},
      {"MODULE", ValueSource::image_or_file},
      {"FILE", ValueSource::file},
      {"CASES", ValueSource::file},
      {"DIR", ValueSource::directory},
  };
  auto it = by_name.find(positional);
  return it == by_name.end() ? ValueSource::none : it->second;
}

// "TEXT" of "TEXT", "INT" of "INT:INT in [1 - 65535]": the type without its validators.
std::string value_name(const CLI::Option& option) {
  std::string type = option.get_type_name();
  return type.substr(0, type.find(':'));
}

FlagDoc describe_flag(CLI::Option& option) {
  FlagDoc flag;
  for (const auto& name : option.get_snames()) flag.names.push_back("-" + name);
  for (const auto& name : option.get_lnames()) flag.names.push_back("--" + name);
  if (option.get_type_size_max() > 0) flag.value_name = value_name(option);
  flag.description = option.get_description();
  flag.default_value = option.get_default_str();
  flag.choices = choices_of(option);
  flag.required = option.get_required();
  flag.repeatable = option.get_expected_max() > 1;
  return flag;
}

PositionalDoc describe_positional(CLI::Option& option) {
  PositionalDoc positional;
  positional.name = option.get_name(true);
  positional.description = option.get_description();
  positional.choices = choices_of(option);
  positional.completes = positional.choices.empty() ? source_for(positional.name) : ValueSource::choices;
  positional.required = option.get_required();
  positional.repeatable = option.get_expected_max() > 1;
  return positional;
}

CommandDoc describe(CLI::App& app, const std::string& path) {
  CommandDoc command;
  command.path = path;
  command.summary = app.get_description();
  command.footer = app.get_footer();
  command.runnable = app.get_require_subcommand_min() == 0;
  for (CLI::Option* option : app.get_options()) {
    if (option->get_group().empty()) continue;  // hidden
    if (option->get_positional()) command.positionals.push_back(describe_positional(*option));
    else command.flags.push_back(describe_flag(*option));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App* a) { return !a->get_group().empty(); })) {
    command.commands.push_back(describe(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name()));
  }
  std::sort(command.commands.begin(), command.commands.end(),
            [](const CommandDoc& a, const CommandDoc& b) { return a.path < b.path; });
  return command;
}

void collect(const CommandDoc& command, std::vector<const CommandDoc*>& out) {
  out.push_back(&command);
  for (const auto& sub : command.commands) collect(sub, out);
}

}  // namespace

const char* value_source_name(ValueSource source) {
  switch (source) {
    case ValueSource::none: return "none";
    case ValueSource::choices: return "choices";
    case ValueSource::image: return "image";
    case ValueSource::image_or_file: return "image_or_file";
    case ValueSource::file: return "file";
    case ValueSource::directory: return "directory";
  }
  return "none";
}

CommandDoc describe_commands(CLI::App& root) { return describe(root, ""); }

std::vector<const CommandDoc*> all_commands(const CommandDoc& root) {
  std::vector<const CommandDoc*> out;
  collect(root, out);
  return out;
}

std::vector<FlagDoc> global_flags(const CommandDoc& root) {
  std::vector<FlagDoc> out;
  for (const FlagDoc& flag : root.flags) {
    const auto& n = flag.names;
    if (std::find(n.begin(), n.end(), "--help") == n.end() && std::find(n.begin(), n.end(), "--version") == n.end()) {
      out.push_back(flag);
    }
  }
  return out;
}

CLI::App& root_of(CLI::App& app) {
  CLI::App* top = &app;
  while (top->get_parent()) top = top->get_parent();
  return *top;
}

nlohmann::json to_json(const CommandDoc& command) {
  nlohmann::json flags = nlohmann::json::array();
  for (const FlagDoc& f : command.flags) {
    flags.push_back({{"names", f.names},
                     {"value", f.value_name},
                     {"description", f.description},
                     {"default", f.default_value},
                     {"choices", f.choices},
                     {"required", f.required},
                     {"repeatable", f.repeatable}});
  }
  nlohmann::json positionals = nlohmann::json::array();
  for (const PositionalDoc& p : command.positionals) {
    positionals.push_back({{"name", p.name},
                           {"description", p.description},
                           {"choices", p.choices},
                           {"completes", value_source_name(p.completes)},
                           {"required", p.required},
                           {"repeatable", p.repeatable}});
  }
  nlohmann::json commands = nlohmann::json::array();
  for (const CommandDoc& sub : command.commands) commands.push_back(to_json(sub));
  return {
      {"path", command.path}, {"summary", command.summary}, {"footer", command.footer}, {"runnable", command.runnable},
      {"flags", flags},       {"positionals", positionals}, {"commands", commands}};
}

}  // namespace wasme::cli
