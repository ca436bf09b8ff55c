#include "cli/app.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/suggest.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/version.hpp"

namespace wasme::cli {
namespace {

// What the commands that only group others do, for `wasme --help`.
std::string group_summary(const std::string& word) {
  static const std::map<std::string, std::string> summaries{
      {"build", "Build a filter and store it as an image (cpp, precompiled)"},
      {"deploy", "Deploy a filter: render or apply for Istio or Envoy Gateway, or run it in Envoy"},
      {"undeploy", "Remove what deploy added"},
  };
  auto it = summaries.find(word);
  return it == summaries.end() ? "" : it->second;
}

// Finds or creates the CLI11 subcommand for each word of path, returning the last.
CLI::App* subcommand_for(CLI::App& root, const std::string& path, const std::string& summary) {
  CLI::App* app = &root;
  std::istringstream words(path);
  std::string word;
  while (words >> word) {
    CLI::App* next = nullptr;
    for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
      if (sub->get_name() == word) next = sub;
    }
    if (!next) next = app->add_subcommand(word, group_summary(word));
    app = next;
  }
  app->description(summary);
  return app;
}

// Every subcommand that has children must be given one of them.
void require_leaf(CLI::App& app) {
  auto subs = app.get_subcommands([](CLI::App*) { return true; });
  for (CLI::App* sub : subs) {
    require_leaf(*sub);
    // A group that takes a positional itself (`wasme build DIR`) may run without a subcommand.
    const bool callable = !sub->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
    if (!callable && !sub->get_subcommands([](CLI::App*) { return true; }).empty()) sub->require_subcommand(1);
  }
}

// "wasme deploy istio" for that subcommand.
std::string command_path(const CLI::App& root, const CLI::App* app) {
  std::string path;
  for (; app && app != &root; app = app->get_parent()) path = " " + app->get_name() + path;
  return "wasme" + path;
}

// ExtrasError for a mistyped subcommand: name the word and suggest the closest command.
int unknown_command(CLI::App& root, int argc, char** argv) {
  CLI::App* app = &root;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word.empty() || word[0] == '-') continue;
    auto subs = app->get_subcommands([](CLI::App*) { return true; });
    auto it = std::find_if(subs.begin(), subs.end(), [&](CLI::App* s) { return s->get_name() == word; });
    if (it != subs.end()) {
      app = *it;
      continue;
    }
    if (subs.empty()) break;
    std::vector<std::string> names;
    for (CLI::App* s : subs) {
      if (!s->get_group().empty()) names.push_back(s->get_name());  // hidden ones are no suggestion
    }
    std::string where = command_path(root, app);
    std::cerr << "wasme: error: unknown command \"" << word << "\" for \"" << where << "\"\n";
    if (auto close = closest_word(word, names)) {
      std::cerr << "Did you mean \"" << *close << "\"?\n";
    }
    std::cerr << "Run '" << where << " --help' for the list of commands.\n";
    return 2;
  }
  return -1;
}

// ExtrasError for a mistyped flag: name it, suggest the closest flag of the command it was
// given to, and point at that command's help. Returns -1 when no argument is an unknown flag.
int unknown_flag(CLI::App& root, int argc, char** argv) {
  CLI::App* app = &root;
  std::vector<std::string> known;
  auto add_flags = [&known](CLI::App* a) {
    for (const CLI::Option* opt : a->get_options()) {
      for (const auto& name : opt->get_lnames()) known.push_back("--" + name);
    }
  };
  add_flags(&root);
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--") break;
    if (!word.empty() && word[0] != '-') {
      for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
        if (sub->get_name() == word) {
          app = sub;
          add_flags(app);
        }
      }
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--") break;
    if (word.rfind("--", 0) != 0) continue;
    std::string name = word.substr(0, word.find('='));
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string where = command_path(root, app);
    std::cerr << "wasme: error: unknown flag \"" << name << "\" for \"" << where << "\"\n";
    if (auto close = closest_word(name, known)) std::cerr << "Did you mean \"" << *close << "\"?\n";
    std::cerr << "Run '" << where << " --help' for usage.\n";
    return 2;
  }
  return -1;
}

int exit_status_for(const Error& e) {
  if (e.kind() == ErrorKind::usage) return 2;
  return e.exit_status() == 0 ? 1 : e.exit_status();
}

}  // namespace

std::vector<Command>& command_table() {
  static std::vector<Command> table;
  return table;
}

int run(int argc, char** argv) {
  CLI::App root{"wasme: build, push, pull and deploy WebAssembly filters for Envoy and Istio", "wasme"};
  root.set_version_flag("--version", "wasme " + version());
  root.require_subcommand(1);
  root.fallthrough();
  GlobalOptions globals;
  root.add_flag("-v,--verbose", globals.verbosity, "Log each registry request and tool run to stderr");

  auto table = command_table();
  std::stable_sort(table.begin(), table.end(), [](const Command& a, const Command& b) {
    return std::count(a.path.begin(), a.path.end(), ' ') < std::count(b.path.begin(), b.path.end(), ' ');
  });
  for (const Command& cmd : table) {
    CLI::App* app = subcommand_for(root, cmd.path, cmd.summary);
    if (cmd.setup) cmd.setup(*app, globals);
  }
  require_leaf(root);

  // `wasme help [COMMAND...]` is `wasme [COMMAND...] --help`, as in git and kubectl.
  std::vector<char*> args(argv, argv + argc);
  static char help_flag[] = "--help";
  bool help_command = argc >= 2 && std::string(argv[1]) == "help";
  if (help_command) {
    args.erase(args.begin() + 1);
    args.push_back(help_flag);
  }
  argc = static_cast<int>(args.size());
  argv = args.data();
  // CLI11 answers --help before it notices a word that is no command.
  if (help_command) {
    if (int status = unknown_command(root, argc, argv); status >= 0) return status;
  }

  try {
    root.parse(argc, argv);
  } catch (const CLI::ExtrasError& e) {
    int status = unknown_command(root, argc, argv);
    if (status >= 0) return status;
    status = unknown_flag(root, argc, argv);
    if (status >= 0) return status;
    std::cerr << "wasme: error: " << e.what() << "\n";
    return 2;
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return root.exit(e);
  } catch (const CLI::RequiredError& e) {
    int status = unknown_command(root, argc, argv);
    if (status >= 0) return status;
    status = unknown_flag(root, argc, argv);  // `--idd x` is the problem, not the missing --id
    if (status >= 0) return status;
    std::cerr << "wasme: error: " << e.what() << "\nRun with --help for usage.\n";
    return 2;
  } catch (const CLI::ParseError& e) {
    std::cerr << "wasme: error: " << e.what() << "\nRun with --help for usage.\n";
    return 2;
  } catch (const Error& e) {
    // Messages carry text from registries, files and modules: print it inert.
    std::cerr << "wasme: error: " << printable(e.what()) << "\n";  // one line, whatever it quotes
    if (!e.hint().empty()) std::cerr << "hint: " << printable_lines(e.hint()) << "\n";
    return exit_status_for(e);
  } catch (const std::exception& e) {
    std::cerr << "wasme: error: " << e.what() << "\n";
    return 1;
  }
  return globals.exit_status;
}

}  // namespace wasme::cli
