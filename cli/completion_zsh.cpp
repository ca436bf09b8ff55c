// The zsh completion script: lookup functions generated from the command table, then one
// routine over $words that offers commands and flags with their descriptions.
#include <sstream>

#include "cli/completion.hpp"
#include "wasme/core/version.hpp"

namespace wasme::cli {
namespace {

// name() { case "$1" in ('key') print -rl -- 'line' ... ;; esac }: one line a word.
template <typename Lines>
void lookup(std::ostream& out, const std::string& name, const std::string& subject,
            const std::vector<CompletionRow>& rows, Lines lines_of) {
  out << name << "() {\n  case " << subject << " in\n";
  for (const CompletionRow& row : rows) {
    for (const auto& [key, lines] : lines_of(row)) {
      if (lines.empty()) continue;
      out << "    (" << shell_quote(key) << ") print -rl --";
      for (const auto& line : lines) out << " " << shell_quote(line);
      out << " ;;\n";
    }
  }
  out << "  esac\n}\n\n";
}

// "name:description" for _describe (a ':' in the name would need escaping; none has one).
std::vector<std::string> described(const std::vector<std::pair<std::string, std::string>>& items) {
  std::vector<std::string> out;
  for (const auto& [name, description] : items) out.push_back(name + ":" + description);
  return out;
}

constexpr const char* routine = R"SH(# Whether word $1 is one of the lines that follow (each up to its ':').
_wasme_has() {
  local word=$1
  shift
  local -a names
  names=(${@%%:*})
  (( ${names[(Ie)$word]} ))
}

# The kind of the positional at index $2 (from 0) of command $1 (the last one may repeat).
_wasme_positional() {
  local -a kinds
  kinds=(${(f)"$(_wasme_positionals "$1")"})
  integer n=$#kinds index=$(( $2 + 1 ))
  if (( index <= n )); then
    print -r -- ${kinds[index]%+}
  elif (( n > 0 )) && [[ ${kinds[n]} == *+ ]]; then
    print -r -- ${kinds[n]%+}
  fi
}

# Offers the references in the local store (the one the line names with --store, if any).
_wasme_images() {
  local -a args refs
  [[ -n $1 ]] && args=(--store $1)
  refs=(${(f)"$("${words[1]/#\~/$HOME}" __complete-images $args 2>/dev/null)"})
  (( $#refs )) && compadd -a refs
}

_wasme() {
  # Walk what is typed: descend into subcommands, skip flag values, count positionals.
  local cmd='' word pending='' store=''
  integer i npos=0
  for (( i = 2; i < CURRENT; i++ )); do
    word=${words[i]}
    if [[ -n $pending ]]; then
      [[ $pending == --store ]] && store=$word
      pending=''
    elif [[ $word == --store=* ]]; then
      store=${word#--store=}
    elif [[ $word == -?* ]]; then
      [[ $word != *=* ]] && _wasme_has $word ${(f)"$(_wasme_value_flags "$cmd")"} && pending=$word
    elif (( npos == 0 )) && _wasme_has $word ${(f)"$(_wasme_commands "$cmd")"}; then
      cmd=${cmd:+$cmd }$word
    else
      npos+=1
    fi
  done

  local cur=${words[CURRENT]} key='' source=''
  if [[ -n $pending ]]; then
    key=$pending
  elif [[ $cur == -*=* ]]; then
    key=${cur%%=*}
    compset -P '*='
  elif [[ $cur == -* ]]; then
    local -a flags
    flags=(${(f)"$(_wasme_flags "$cmd")"})
    _describe -t flags 'flag' flags
    return
  else
    if (( npos == 0 )); then
      local -a commands
      commands=(${(f)"$(_wasme_commands "$cmd")"})
      (( $#commands )) && _describe -t commands 'command' commands
    fi
    source=$(_wasme_positional "$cmd" $npos)
    [[ $source == choices ]] && key="#$npos"
  fi
  if [[ -n $key ]]; then
    source=file
    [[ -n $(_wasme_choices "$cmd" "$key") ]] && source=choices
  fi
  case $source in
    (choices)
      local -a values
      values=(${(f)"$(_wasme_choices "$cmd" "$key")"})
      compadd -a values ;;
    (image) _wasme_images $store ;;
    (image_or_file) _wasme_images $store; _files ;;
    (file) _files ;;
    (directory) _files -/ ;;
  esac
}

if [[ $funcstack[1] == _wasme ]]; then
  _wasme "$@"
else
  compdef _wasme wasme
fi
)SH";

}  // namespace

std::string zsh_completion(const std::vector<CompletionRow>& rows) {
  std::ostringstream out;
  out << "#compdef wasme\n"
      << "# zsh completion for wasme " << version() << ".\n"
      << "# Generated from wasme's command table by `wasme completion zsh`; do not edit.\n"
      << "# Use: save it as _wasme in a directory of $fpath, or source <(wasme completion zsh)\n"
      << "# after compinit.\n\n";
  out << "# The subcommands of a command ('' is wasme itself), as name:summary.\n";
  lookup(out, "_wasme_commands", "\"$1\"", rows, [](const CompletionRow& r) {
    return Branches{{r.path, described(r.commands)}};
  });
  out << "# The flags of a command, its own and the global ones, as flag:description.\n";
  lookup(out, "_wasme_flags", "\"$1\"", rows, [](const CompletionRow& r) {
    return Branches{{r.path, described(r.flags)}};
  });
  out << "# The flags of a command that take a value.\n";
  lookup(out, "_wasme_value_flags", "\"$1\"", rows, value_flag_branches);
  out << "# The values of a flag, or of positional #N, of a command: _wasme_choices COMMAND KEY.\n";
  lookup(out, "_wasme_choices", "\"$1|$2\"", rows, choice_branches);
  out << "# What each positional of a command completes, in order; a trailing + repeats.\n";
  lookup(out, "_wasme_positionals", "\"$1\"", rows, positional_branches);
  out << routine;
  return out.str();
}

}  // namespace wasme::cli
