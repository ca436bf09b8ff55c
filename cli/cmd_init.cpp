// wasme init DIR: start a filter project from a template compiled into the binary.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>

#include "cli/choices.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "wasme/core/error.hpp"
#include "wasme/scaffold/catalog.hpp"
#include "wasme/scaffold/init.hpp"

namespace wasme::cli {
namespace {

struct Flags {
  std::string dir;
  scaffold::TemplateQuery query;
  std::string root_id = "add_header_root_id";
  bool disable_prompt = false;
  bool force = false;
  bool list = false;
  OutputFormat output = OutputFormat::text;
};

// Asks on the terminal: the question and numbered options on stderr, the answer from stdin.
std::size_t ask(const std::string& question, const std::vector<std::string>& options) {
  std::cerr << question << "\n";
  for (std::size_t i = 0; i < options.size(); ++i) std::cerr << "  " << i + 1 << ") " << options[i] << "\n";
  for (std::string line;;) {
    std::cerr << "Enter 1-" << options.size() << ": " << std::flush;
    if (!std::getline(std::cin, line)) throw Error(ErrorKind::usage, "no template chosen");
    try {
      std::size_t used = 0;
      unsigned long n = std::stoul(line, &used);
      if (used == line.size() && n >= 1 && n <= options.size()) return n - 1;
    } catch (const std::exception&) {
    }
  }
}

void print_list(OutputFormat format) {
  const auto& all = scaffold::templates();
  if (format == OutputFormat::json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : all) {
      nlohmann::json platforms = nlohmann::json::array();
      for (const auto& p : t.platforms) platforms.push_back({{"name", p.name}, {"min", p.min}, {"max", p.max}});
      out.push_back({{"name", t.name},
                     {"language", t.language},
                     {"description", t.description},
                     {"abi", t.abi},
                     {"platforms", platforms},
                     {"needsNetwork", t.network == scaffold::Network::first_build}});
    }
    return print_json(out);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : all) {
    rows.push_back({t.name, t.language, scaffold::describe_platforms(t), t.abi,
                    t.network == scaffold::Network::first_build ? "downloads SDK" : "offline"});
  }
  print_table(std::cout, {"NAME", "LANGUAGE", "PLATFORMS", "ABI", "BUILD"}, rows);
}

void run(const Flags& flags) {
  if (flags.list) {
    if (!flags.dir.empty()) throw Error(ErrorKind::usage, "--list takes no directory");
    return print_list(flags.output);
  }
  if (flags.dir.empty()) {
    throw Error(ErrorKind::usage, "init needs the directory to create: wasme init DIR",
                "`wasme init --list` shows the templates");
  }
  scaffold::InitRequest request;
  request.dir = flags.dir;
  request.query = flags.query;
  request.root_id = flags.root_id;
  request.existing = flags.force ? scaffold::ExistingFiles::overwrite : scaffold::ExistingFiles::refuse;
  bool terminal = ::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO);
  scaffold::Chooser chooser;
  if (terminal && !flags.disable_prompt) chooser = ask;
  scaffold::InitResult result = scaffold::init_project(request, chooser);

  for (const auto& n : result.notes) note(n);
  if (flags.output == OutputFormat::json) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : result.files) files.push_back(f.string());
    return print_json({{"template", result.info.name},
                       {"directory", result.dir.string()},
                       {"rootId", result.values.at("ROOT_ID")},
                       {"files", files},
                       {"nextSteps", result.next_steps},
                       {"notes", result.notes}});
  }
  std::cout << "Created " << result.dir.string() << " from template " << result.info.name << " (" << result.files.size()
            << " files).\nNext:\n";
  for (const auto& step : result.next_steps) std::cout << "  " << step << "\n";
}

// What --template, --language and --platform can name: what the embedded templates are,
// for completion and the man page (the scaffold checks the values itself).
struct TemplateChoices {
  std::vector<std::string> names, languages, platforms;
};

TemplateChoices template_choices() {
  TemplateChoices out;
  auto add = [](std::vector<std::string>& list, const std::string& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
  };
  for (const scaffold::TemplateInfo& info : scaffold::templates()) {
    add(out.names, info.name);
    add(out.languages, info.language);
    for (const auto& platform : info.platforms) add(out.platforms, platform.name);
  }
  return out;
}

void setup(CLI::App& app, GlobalOptions&) {
  auto flags = std::make_shared<Flags>();
  app.add_option("DIR", flags->dir, "Directory to create the project in (new, or empty)");
  app.add_flag("--list", flags->list, "List the templates (name, language, platforms, ABI)");
  const TemplateChoices choices = template_choices();
  with_choices(app.add_option("--template", flags->query.name, "Template to use (see --list)"), choices.names);
  with_choices(app.add_option("--language", flags->query.language, "Filter language: cpp or assemblyscript"),
               choices.languages);
  with_choices(app.add_option("--platform", flags->query.platform, "Proxy to run the filter on: istio, envoy or gloo"),
               choices.platforms);
  app.add_option("--platform-version", flags->query.platform_version, "Version of that proxy, e.g. 1.4.x or 1.22");
  app.add_option("--root-id", flags->root_id, "Root id the filter registers")->default_str("add_header_root_id");
  app.add_flag("--disable-prompt", flags->disable_prompt,
               "Never ask: fail and list the choices when the flags leave several templates");
  app.add_flag("--force", flags->force, "Write into a non-empty directory (replacing files of the same names)");
  add_output_option(app, flags->output);
  app.callback([flags] { run(*flags); });
}

const Registration registration{{"init", "Create a filter project from a template", &setup}};

}  // namespace
}  // namespace wasme::cli
