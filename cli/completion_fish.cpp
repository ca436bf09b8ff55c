// The fish completion script: lookup functions generated from the command table, then one
// function over `commandline` that prints the candidates with their descriptions.
#include <sstream>

#include "cli/completion.hpp"
#include "wasme/core/version.hpp"

namespace wasme::cli {
namespace {

// text as one fish word: in fish's single quotes only \\ and \' are escapes.
std::string fish_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

// function name; switch KEY; case 'key'; printf FORMAT words...; end; end
template <typename Words>
void lookup(std::ostream& out, const std::string& name, const std::string& subject, const std::string& format,
            const std::vector<CompletionRow>& rows, Words words_of) {
  out << "function " << name << "\n    switch " << subject << "\n";
  for (const CompletionRow& row : rows) {
    for (const auto& [key, words] : words_of(row)) {
      if (words.empty()) continue;
      out << "        case " << fish_quote(key) << "\n            printf " << fish_quote(format);
      for (const auto& w : words) out << " " << fish_quote(w);
      out << "\n";
    }
  }
  out << "    end\nend\n\n";
}

// name, description, name, description… for printf '%s\t%s\n'.
std::vector<std::string> described(const std::vector<std::pair<std::string, std::string>>& items) {
  std::vector<std::string> out;
  for (const auto& [name, description] : items) {
    out.push_back(name);
    out.push_back(description);
  }
  return out;
}

constexpr const char* routine =
    R"SH(# The kind of the positional at index $argv[2] (from 0) of command $argv[1] (the last may repeat).
function __wasme_positional
    set -l kinds (__wasme_positionals $argv[1])
    set -l n (count $kinds)
    set -l index (math $argv[2] + 1)
    if test $index -le $n
        string replace -r '\+$' '' -- $kinds[$index]
    else if test $n -gt 0; and string match -q -- '*+' $kinds[$n]
        string replace -r '\+$' '' -- $kinds[$n]
    end
end

# The references in the local store (the one the line names with --store, if any).
function __wasme_images
    set -l bin (commandline -opc)[1]
    set -l args
    test -n "$argv[1]"; and set args --store $argv[1]
    command $bin __complete-images $args 2>/dev/null
end

function __wasme_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l cur (commandline -ct)
    # Walk what is typed: descend into subcommands, skip flag values, count positionals.
    set -l cmd ''
    set -l pending ''
    set -l store ''
    set -l npos 0
    for word in $words
        if test -n "$pending"
            test "$pending" = --store; and set store $word
            set pending ''
        else if string match -q -- '--store=*' $word
            set store (string replace -- '--store=' '' $word)
        else if string match -q -- '-?*' $word
            if not string match -q -- '*=*' $word; and contains -- $word (__wasme_value_flags $cmd)
                set pending $word
            end
        else if test $npos -eq 0; and contains -- $word (__wasme_commands $cmd | string replace -r '\t.*' '')
            set cmd (string trim -- "$cmd $word")
        else
            set npos (math $npos + 1)
        end
    end

    set -l key ''
    set -l prefix ''
    set -l value $cur
    set -l source ''
    if test -n "$pending"
        set key $pending
    else if string match -q -- '-*=*' $cur
        set key (string split -m1 = -- $cur)[1]
        set prefix "$key="
        set value (string split -m1 = -- $cur)[2]
    else if string match -q -- '-*' $cur
        __wasme_flags $cmd
        return
    else
        test $npos -eq 0; and __wasme_commands $cmd
        set source (__wasme_positional $cmd $npos)
        test "$source" = choices; and set key "#$npos"
    end
    set -l choices
    if test -n "$key"
        set choices (__wasme_choices $cmd $key)
        set source file
        test (count $choices) -gt 0; and set source choices
    end
    switch "$source"
        case choices
            for choice in $choices
                echo $prefix$choice
            end
        case image
            __wasme_images $store
        case image_or_file
            __wasme_images $store
            __fish_complete_path $value
        case file
            for path in (__fish_complete_path $value)
                echo $prefix$path
            end
        case directory
            __fish_complete_directories $value
    end
end

complete -c wasme -f -a '(__wasme_complete)'
)SH";

}  // namespace

std::string fish_completion(const std::vector<CompletionRow>& rows) {
  std::ostringstream out;
  out << "# fish completion for wasme " << version() << ".\n"
      << "# Generated from wasme's command table by `wasme completion fish`; do not edit.\n"
      << "# Use: wasme completion fish | source, or save it as\n"
      << "# ~/.config/fish/completions/wasme.fish.\n\n";
  out << "# The subcommands of a command ('' is wasme itself), with their summaries.\n";
  lookup(out, "__wasme_commands", "\"$argv[1]\"", "%s\\t%s\\n", rows, [](const CompletionRow& r) {
    return Branches{{r.path, described(r.commands)}};
  });
  out << "# The flags of a command, its own and the global ones, with their descriptions.\n";
  lookup(out, "__wasme_flags", "\"$argv[1]\"", "%s\\t%s\\n", rows, [](const CompletionRow& r) {
    return Branches{{r.path, described(r.flags)}};
  });
  out << "# The flags of a command that take a value.\n";
  lookup(out, "__wasme_value_flags", "\"$argv[1]\"", "%s\\n", rows, value_flag_branches);
  out << "# The values of a flag, or of positional #N, of a command: __wasme_choices COMMAND KEY.\n";
  lookup(out, "__wasme_choices", "\"$argv[1]|$argv[2]\"", "%s\\n", rows, choice_branches);
  out << "# What each positional of a command completes, in order; a trailing + repeats.\n";
  lookup(out, "__wasme_positionals", "\"$argv[1]\"", "%s\\n", rows, positional_branches);
  out << routine;
  return out.str();
}

}  // namespace wasme::cli
