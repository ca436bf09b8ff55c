// The bash completion script: lookup functions generated from the command table, then one
// routine that reads the line typed so far.
#include <sstream>

#include "cli/completion.hpp"
#include "wasme/core/version.hpp"

namespace wasme::cli {
namespace {

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// name() { case "$1" in 'key') echo 'words' ;; ... esac }, one branch per row with words.
template <typename Words>
void lookup(std::ostream& out, const std::string& name, const std::string& subject,
            const std::vector<CompletionRow>& rows, Words words_of) {
  out << name << "() {\n  case " << subject << " in\n";
  for (const CompletionRow& row : rows) {
    for (const auto& [key, words] : words_of(row)) {
      if (!words.empty()) out << "    " << shell_quote(key) << ") echo " << shell_quote(joined(words)) << " ;;\n";
    }
  }
  out << "  esac\n}\n\n";
}

// Reads COMP_LINE rather than COMP_WORDS: bash splits words at ':' and '=' too, which would
// cut "localhost:5000/f:v1" into five words and miscount the positionals.
constexpr const char* routine = R"SH(# Whether the space-separated list $1 holds the word $2.
_wasme_has() { [[ " $1 " == *" $2 "* ]]; }

# The kind of the positional at index $2 of command $1 (the last one may repeat).
_wasme_positional() {
  local -a kinds
  read -ra kinds <<<"$(_wasme_positionals "$1")"
  local -i n=${#kinds[@]}
  if (($2 < n)); then
    echo "${kinds[$2]%+}"
  elif ((n > 0)) && [[ "${kinds[n - 1]}" == *+ ]]; then
    echo "${kinds[n - 1]%+}"
  fi
}

# The references in the local store (the one the line names with --store, if any).
_wasme_images() {
  local bin="${COMP_WORDS[0]:-wasme}"
  local -a args=()
  [[ -n "$1" ]] && args=(--store "$1")
  "${bin/#\~/$HOME}" __complete-images "${args[@]}" 2>/dev/null
}

_wasme() {
  local line="${COMP_LINE:0:COMP_POINT}"
  local -a words
  read -ra words <<<"$line"
  local cur=""
  if [[ -n "$line" && "$line" != *[[:space:]] ]]; then
    cur="${words[${#words[@]} - 1]}"
    words=("${words[@]:0:${#words[@]} - 1}")
  fi

  # Walk what is typed: descend into subcommands, skip flag values, count positionals.
  local cmd="" word pending="" store=""
  local -i i npos=0
  for ((i = 1; i < ${#words[@]}; i++)); do
    word="${words[i]}"
    if [[ -n "$pending" ]]; then
      [[ "$pending" == --store ]] && store="$word"
      pending=""
    elif [[ "$word" == --store=* ]]; then
      store="${word#--store=}"
    elif [[ "$word" == -?* ]]; then
      [[ "$word" != *=* ]] && _wasme_has "$(_wasme_value_flags "$cmd")" "$word" && pending="$word"
    elif ((npos == 0)) && _wasme_has "$(_wasme_commands "$cmd")" "$word"; then
      cmd="${cmd:+$cmd }$word"
    else
      npos+=1
    fi
  done

  local key="" prefix="" value="$cur" source="" candidates=""
  if [[ -n "$pending" ]]; then
    key="$pending"
  elif [[ "$cur" == -*=* ]]; then
    key="${cur%%=*}" prefix="${cur%%=*}=" value="${cur#*=}"
  elif [[ "$cur" == -* ]]; then
    candidates="$(_wasme_flags "$cmd")"
  else
    ((npos == 0)) && candidates="$(_wasme_commands "$cmd")"
    source="$(_wasme_positional "$cmd" "$npos")"
    [[ "$source" == choices ]] && key="#$npos"
  fi
  if [[ -n "$key" ]]; then
    source=file
    [[ -n "$(_wasme_choices "$cmd" "$key")" ]] && source=choices
  fi
  local files=""
  case "$source" in
    choices) candidates+=" $(_wasme_choices "$cmd" "$key")" ;;
    image) candidates+=" $(_wasme_images "$store")" ;;
    image_or_file) candidates+=" $(_wasme_images "$store")" files=mixed ;;
    file) files=f ;;
    directory) files=d ;;
  esac

  local -a replies=()
  local c
  for c in $(compgen -W "$candidates" -- "$value"); do replies+=("$prefix$c"); done
  if [[ "$files" == mixed ]]; then
    # Image references hold ':', which readline's filename quoting would escape: mark
    # directories by hand instead.
    while IFS= read -r c; do
      [[ -d "$c" ]] && c+=/ && compopt -o nospace 2>/dev/null
      replies+=("$prefix$c")
    done < <(compgen -f -- "$value")
  elif [[ -n "$files" ]]; then
    compopt -o filenames 2>/dev/null
    while IFS= read -r c; do replies+=("$prefix$c"); done < <(compgen -"$files" -- "$value")
  fi
  # Bash replaces only what follows the word's last COMP_WORDBREAKS character (the ':' of
  # "host:5000/f", the '=' of "--mode=x"): drop what comes before it from each reply.
  local typed="${COMP_WORDS[COMP_CWORD]}" strip=""
  [[ "$cur" == *"$typed" ]] && strip="${cur%"$typed"}"
  COMPREPLY=("${replies[@]#"$strip"}")
}

complete -F _wasme wasme
)SH";

}  // namespace

std::string bash_completion(const std::vector<CompletionRow>& rows) {
  std::ostringstream out;
  out << "# bash completion for wasme " << version() << "                    -*- shell-script -*-\n"
      << "# Generated from wasme's command table by `wasme completion bash`; do not edit.\n"
      << "# Use: source <(wasme completion bash), or save it as\n"
      << "# ~/.local/share/bash-completion/completions/wasme.\n\n";
  out << "# The subcommands of a command (\"\" is wasme itself).\n";
  lookup(out, "_wasme_commands", "\"$1\"", rows, [](const CompletionRow& r) {
    std::vector<std::string> names;
    for (const auto& c : r.commands) names.push_back(c.first);
    return Branches{{r.path, names}};
  });
  out << "# The flags of a command, its own and the global ones.\n";
  lookup(out, "_wasme_flags", "\"$1\"", rows, [](const CompletionRow& r) {
    std::vector<std::string> names;
    for (const auto& f : r.flags) names.push_back(f.first);
    return Branches{{r.path, names}};
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
