#include "cli/choices.hpp"

namespace wasme::cli {
namespace {

constexpr std::string_view prefix = "wasme-choices:";

}  // namespace

std::string choices_validator_name(const std::vector<std::string>& names) {
  std::string name(prefix);
  for (size_t i = 0; i < names.size(); ++i) name += (i ? "," : "") + names[i];
  return name;
}

CLI::Option* with_choices(CLI::Option* option, const std::vector<std::string>& names) {
  // Inactive: it never runs and adds nothing to --help; it only carries the list.
  CLI::Validator carrier([](std::string&) { return std::string(); }, "", choices_validator_name(names));
  return option->check(carrier.active(false));
}

std::vector<std::string> choices_of(CLI::Option& option) {
  // CLI11 2.1 lists validators only by index, and says so by throwing past the last.
  for (int i = 0;; ++i) {
    const CLI::Validator* validator = nullptr;
    try {
      validator = option.get_validator(i);
    } catch (const CLI::OptionNotFound&) {
      return {};
    }
    const std::string& name = validator->get_name();
    if (name.rfind(prefix, 0) != 0) continue;
    std::vector<std::string> names;
    std::stringstream list(name.substr(prefix.size()));
    for (std::string item; std::getline(list, item, ',');) names.push_back(item);
    return names;
  }
}

}  // namespace wasme::cli
