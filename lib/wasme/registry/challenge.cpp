#include "wasme/registry/challenge.hpp"

namespace wasme::registry {
namespace {

bool is_token_char(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// A cursor over the header value.
struct Scanner {
  std::string_view text;
  size_t pos = 0;

  bool done() const { return pos >= text.size(); }
  char peek() const { return done() ? '\0' : text[pos]; }
  void skip_spaces() {
    while (!done() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  }
  void skip_separators() {
    while (!done() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == ',')) ++pos;
  }
  std::string_view token() {
    size_t start = pos;
    while (!done() && is_token_char(text[pos])) ++pos;
    return text.substr(start, pos - start);
  }
  // A quoted-string (the opening quote is current); backslash escapes the next character.
  std::string quoted() {
    std::string out;
    ++pos;
    while (!done() && text[pos] != '"') {
      if (text[pos] == '\\' && pos + 1 < text.size()) ++pos;
      out.push_back(text[pos++]);
    }
    if (!done()) ++pos;  // closing quote
    return out;
  }
  // True when a `name =` follows (a parameter), without consuming anything.
  bool param_ahead() const {
    Scanner probe = *this;
    probe.skip_spaces();
    if (probe.token().empty()) return false;
    probe.skip_spaces();
    return probe.peek() == '=';
  }
};

// Parses `name=value` pairs into challenge until the next challenge or the end.
void parse_params(Scanner& s, Challenge& challenge) {
  while (true) {
    s.skip_spaces();
    if (!s.param_ahead()) {
      // token68 (`Basic abc==`) or garbage: skip to the next comma.
      while (!s.done() && s.peek() != ',') ++s.pos;
      return;
    }
    std::string name = lower(s.token());
    s.skip_spaces();
    ++s.pos;  // '='
    s.skip_spaces();
    std::string value;
    if (s.peek() == '"') {
      value = s.quoted();
    } else {
      size_t start = s.pos;
      while (!s.done() && s.peek() != ',' && s.peek() != ' ' && s.peek() != '\t') ++s.pos;
      value = std::string(s.text.substr(start, s.pos - start));
    }
    challenge.params.emplace(std::move(name), std::move(value));
    s.skip_spaces();
    if (s.peek() != ',') return;
    Scanner after = s;
    after.skip_separators();
    if (!after.param_ahead()) return;  // the next challenge starts here
    s = after;
  }
}

}  // namespace

std::string Challenge::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

std::vector<Challenge> parse_challenges(std::string_view header) {
  std::vector<Challenge> out;
  Scanner s{header};
  while (true) {
    s.skip_separators();
    if (s.done()) break;
    std::string_view scheme = s.token();
    if (scheme.empty()) break;  // not a token: nothing more we can read
    Challenge challenge;
    challenge.scheme = lower(scheme);
    parse_params(s, challenge);
    out.push_back(std::move(challenge));
  }
  return out;
}

std::optional<Challenge> pick_challenge(const std::vector<std::string>& header_values) {
  std::optional<Challenge> basic;
  for (const auto& value : header_values) {
    for (auto& challenge : parse_challenges(value)) {
      if (challenge.scheme == "bearer") return challenge;
      if (challenge.scheme == "basic" && !basic) basic = challenge;
    }
  }
  return basic;
}

}  // namespace wasme::registry
