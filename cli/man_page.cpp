#include "cli/man_page.hpp"

#include <sstream>

#include "cli/completion.hpp"
#include "wasme/core/version.hpp"

namespace wasme::cli {
namespace {

std::string bold(const std::string& text) { return "\\fB" + roff_escape(text) + "\\fR"; }
std::string italic(const std::string& text) { return "\\fI" + roff_escape(text) + "\\fR"; }

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// "wasme deploy istio [OPTIONS] IMAGE", "wasme rm [OPTIONS] REF...".
std::string usage(const CommandDoc& command) {
  std::string out = bold("wasme" + (command.path.empty() ? "" : " " + command.path)) + " [" + italic("OPTIONS") + "]";
  for (const PositionalDoc& p : command.positionals) {
    std::string word = italic(p.name) + (p.repeatable ? "..." : "");
    out += " " + (p.required ? word : "[" + word + "]");
  }
  if (!command.commands.empty()) {
    std::string word = italic("COMMAND");
    out += " " + (command.runnable ? "[" + word + "]" : word);
  }
  return out;
}

void flag_entry(std::ostream& out, const FlagDoc& flag) {
  std::vector<std::string> names;
  for (const auto& n : flag.names) names.push_back(bold(n));
  out << ".TP\n" << join(names, ", ");
  if (!flag.value_name.empty()) out << " " << italic(flag.choices.empty() ? flag.value_name : join(flag.choices, "|"));
  out << "\n" << roff_escape(one_line(flag.description));
  std::vector<std::string> notes;
  if (flag.required) notes.push_back("Required.");
  if (flag.repeatable && flag.description.find("repeatable") == std::string::npos) notes.push_back("Repeatable.");
  if (!flag.choices.empty()) notes.push_back("One of: " + join(flag.choices, ", ") + ".");
  if (!flag.default_value.empty()) notes.push_back("Default: " + flag.default_value + ".");
  if (!notes.empty()) out << "\n.br\n" << roff_escape(join(notes, " "));
  out << "\n";
}

void command_section(std::ostream& out, const CommandDoc& command) {
  out << ".SS \"" << roff_escape("wasme " + command.path) << "\"\n" << roff_escape(one_line(command.summary)) << "\n";
  out << ".PP\n" << usage(command) << "\n";
  if (!command.commands.empty()) {
    std::vector<std::string> names;
    for (const CommandDoc& sub : command.commands) names.push_back(bold(sub.path));
    out << ".PP\nCommands: " << join(names, ", ") << ".\n";
  }
  for (const PositionalDoc& p : command.positionals) {
    out << ".TP\n" << italic(p.name) << "\n" << roff_escape(one_line(p.description));
    if (!p.choices.empty()) out << "\n" << roff_escape("One of: " + join(p.choices, ", ") + ".");
    out << "\n";
  }
  // --help is every command's; OPTIONS says so once.
  for (const FlagDoc& flag : command.flags) {
    if (flag.names.back() != "--help") flag_entry(out, flag);
  }
  std::istringstream footer(command.footer);
  for (std::string line; std::getline(footer, line);) {
    if (!line.empty()) out << ".PP\n" << roff_escape(line) << "\n";
  }
}

// "build, push, … for Envoy and Istio" of "wasme: build, push, …": the NAME line.
std::string tagline(const CommandDoc& root) {
  std::string summary = one_line(root.summary);
  size_t colon = summary.find(": ");
  return colon == std::string::npos ? summary : summary.substr(colon + 2);
}

constexpr const char* description =
    R"SH(\fBwasme\fR packages WebAssembly (proxy\-wasm) filters as OCI images: it scaffolds a
project (\fBinit\fR), builds it or packages a compiled module (\fBbuild\fR), keeps images in a
local store (\fBlist\fR, \fBtag\fR, \fBrm\fR, \fBinspect\fR), moves them through any OCI registry
(\fBpush\fR, \fBpull\fR), signs and verifies them as cosign does, runs a filter's test cases
without Envoy (\fBtest\fR, \fBrun\fR), and renders or applies what Istio, Envoy Gateway or
Envoy need to load it (\fBdeploy\fR, \fBundeploy\fR), with a node\-local cache daemon
(\fBcache\fR) for Istio's EnvoyFilter mode.
.PP
Every command takes \fB\-h\fR, \fB\-\-help\fR for its usage; commands that report something
take \fB\-o json\fR. Data goes to standard output; progress, warnings and errors to standard error.
)SH";

constexpr const char* tail = R"SH(.SH EXIT STATUS
.TP
.B 0
Success.
.TP
.B 1
Failure; the message says what failed and, after \fBhint:\fR, what to do.
.TP
.B 2
Usage error: an unknown command or flag, a missing argument.
.PP
\fBwasme build\fR exits with Bazel's own status when the build fails; \fBwasme test\fR and
\fBwasme verify\fR say what their status means above.
.SH ENVIRONMENT
.TP
.B WASME_HOME
Where wasme keeps its store (\fI$WASME_HOME/store\fR) and saved logins; default \fI~/.wasme\fR.
.TP
.B DOCKER_CONFIG
Directory of the Docker \fIconfig.json\fR read for registry credentials; default \fI~/.docker\fR.
.TP
.B REGISTRY_AUTH_FILE
A podman \fIauth.json\fR read for registry credentials.
.TP
.B COSIGN_PASSWORD
The password of the signing key (\fBgenerate\-key\-pair\fR, \fBsign\fR).
.TP
.B WASME_CONNECT_TIMEOUT\fR, \fBWASME_MIN_RATE\fR, \fBWASME_STALL_TIMEOUT
Registry transfers: the connect timeout in seconds (15), and the rate in bytes a second under
which a transfer is cut off after \fBWASME_STALL_TIMEOUT\fR seconds (1024 over 30).
.TP
.B WASME_BAZEL\fR, \fBWASME_BAZEL_STARTUP_OPTS
The Bazel that \fBwasme build cpp\fR runs, and its startup options.
.TP
.B SOURCE_DATE_EPOCH
The creation time recorded in images, for reproducible builds.
.SH FILES
.TP
.I ~/.wasme/store
The local image store, an OCI image layout.
.TP
.I ~/.wasme/credentials.json
Credentials saved by \fBwasme login\fR.
.SH SEE ALSO
\fBdocker\fR(1), \fBkubectl\fR(1), \fBenvoy\fR(1);
\fI/usr/share/doc/wasme/README.md\fR.
)SH";

}  // namespace

std::string roff_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string man_page(const CommandDoc& root) {
  std::ostringstream out;
  // No date: the page is generated at every build and must not change unless the CLI does.
  out << ".\\\" Generated from wasme's command table by `wasme man`; do not edit.\n"
      << ".TH WASME 1 \"\" \"wasme " << version() << "\" \"User Commands\"\n"
      << ".nh\n"  // no hyphenation: flag names and references must read as typed
      << ".SH NAME\nwasme \\- " << roff_escape(tagline(root)) << "\n"
      << ".SH SYNOPSIS\n"
      << bold("wasme") << " [" << italic("OPTIONS") << "] " << italic("COMMAND") << " [" << italic("ARGS") << "]\n"
      << ".SH DESCRIPTION\n"
      << description << ".SH OPTIONS\n";
  for (const FlagDoc& flag : root.flags) flag_entry(out, flag);
  out << ".SH COMMANDS\n";
  for (const CommandDoc* command : all_commands(root)) {
    if (!command->path.empty()) command_section(out, *command);
  }
  out << tail;
  return out.str();
}

}  // namespace wasme::cli
