#include "wasme/render/yaml.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <ostream>
#include <regex>

#include "wasme/core/error.hpp"
#include "wasme/core/yaml_limits.hpp"

namespace wasme::render {
namespace {

// Words YAML 1.1 (go-yaml, which kubectl uses) or 1.2 would read as bool or null.
bool is_special_word(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* words[] = {"true", "false", "yes", "no", "on",   "off",   "y",     "n",
                                "null", "~",     "<<",  "=",  ".inf", "-.inf", "+.inf", ".nan"};
  return std::any_of(std::begin(words), std::end(words), [&](const char* w) { return s == w; });
}

// True when a plain scalar with this text could be resolved as a non-string: numbers,
// dates, times and sexagesimals start with a digit, or a sign or dot before a digit.
// go-yaml drops '_' before reading a number ("-_1" is -1, "+_.5" is 0.5), so underscores
// after the first character do not count.
bool needs_quotes(const std::string& s) {
  if (s.empty() || is_special_word(s)) return true;
  std::string t(1, s[0]);
  std::copy_if(s.begin() + 1, s.end(), std::back_inserter(t), [](char c) { return c != '_'; });
  auto digit = [&](size_t i) { return i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); };
  if (digit(0)) return true;
  if ((t[0] == '+' || t[0] == '-') && (digit(1) || (t.size() > 1 && t[1] == '.'))) return true;
  if (t[0] == '.' && digit(1)) return true;
  return s.rfind("---", 0) == 0 || s.rfind("...", 0) == 0;
}

// The code point of the well-formed UTF-8 sequence at s[i], advancing i past it; -1 with i
// unchanged when the bytes there are not well-formed UTF-8 (a stray continuation byte, an
// overlong form, a surrogate, beyond U+10FFFF, cut short).
long next_code_point(const std::string& s, std::size_t& i) {
  auto byte = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return static_cast<long>(lead);
  }
  std::size_t length = 0;
  unsigned low = 0x80, high = 0xBF;  // the range of the second byte
  long cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    cp = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    cp = lead & 0x07;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // beyond U+10FFFF
  } else {
    return -1;
  }
  for (std::size_t k = 1; k < length; ++k) {
    const unsigned b = byte(i + k);
    if (b < low || b > high) return -1;
    low = 0x80;
    high = 0xBF;
    cp = (cp << 6) | static_cast<long>(b & 0x3F);
  }
  i += length;
  return cp;
}

// Code points written as escapes inside double quotes: those go-yaml's reader refuses raw
// (C0 but TAB/LF/CR, DEL, C1 but NEL, U+FFFE, U+FFFF) or takes for a line break, which a
// quoted scalar folds (LF, CR, NEL, U+2028, U+2029); the rest of C0 and C1 and the other
// noncharacters, which yaml-cpp's writer would replace with U+FFFD; the BOM; and NBSP, as
// yaml-cpp writes it (\xa0), so quoted text stays as it was.
bool escaped(long cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0xA0) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF ||
         (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

// What a string holds, for choosing how to write it.
struct Scan {
  std::size_t invalid_at = std::string::npos;  // the first byte that is not UTF-8
  bool odd = false;                            // holds a code point to escape, which yaml-cpp would not escape itself
};

Scan scan(const std::string& s) {
  Scan result;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t at = i;
    const long cp = next_code_point(s, i);
    if (cp < 0) {
      result.invalid_at = at;
      return result;
    }
    // NBSP alone is fine plain, and yaml-cpp's own quoting escapes it: as before.
    if (escaped(cp) && cp != 0xA0) result.odd = true;
  }
  return result;
}

void append_hex(std::string& out, unsigned long value, int digits) {
  static const char hex[] = "0123456789abcdef";
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += hex[(value >> shift) & 0xF];
}

// s (well-formed UTF-8) as a YAML double-quoted scalar. The escapes are those of YAML 1.1
// and 1.2 alike, which go-yaml and yaml-cpp both read; for what yaml-cpp 0.7's writer
// handles correctly the text is the same as its (src/emitterutils.cpp
// WriteDoubleQuotedString): \" \\ \n \t \r \b \f, \xNN below U+00FF, lowercase hex.
std::string double_quoted(const std::string& s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    const long cp = next_code_point(s, i);
    if (cp < 0) {  // not reached: callers check the text first
      throw Error(ErrorKind::invalid_input, "not valid UTF-8");
    }
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (!escaped(cp)) {
          out.append(s, start, i - start);
        } else if (cp <= 0xFF) {
          out += "\\x";
          append_hex(out, static_cast<unsigned long>(cp), 2);
        } else if (cp <= 0xFFFF) {
          out += "\\u";
          append_hex(out, static_cast<unsigned long>(cp), 4);
        } else {
          out += "\\U";
          append_hex(out, static_cast<unsigned long>(cp), 8);
        }
    }
  }
  out += '"';
  return out;
}

// Text for an error message: printable ASCII as is, every other byte as \xNN, at most
// `limit` bytes of s.
std::string printable(const std::string& s, std::size_t limit = 40) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      append_hex(out, c, 2);
    }
  }
  if (s.size() > limit) out += "…";
  return out;
}

// yaml-cpp 0.7 cannot write a scalar that is already quoted, but Emitter::WriteIntegralType
// streams any value as the scalar's text, untouched, after laying the node out like any
// other scalar (indentation, "key: ", "- ", "? " for a long key). It adds only the integer
// base it is set to (decimal unless YAML::Hex or YAML::Oct, which this file never uses).
struct Verbatim {
  const std::string* text;
};
std::ostream& operator<<(std::ostream& os, const Verbatim& v) { return os << *v.text; }

// Json to yaml-cpp emitter events, keeping the path to the current node for errors.
class Writer {
 public:
  explicit Writer(YAML::Emitter& out) : out_(out) {}

  void node(const Json& value) {
    switch (value.type()) {
      case Json::value_t::object:
        if (value.empty()) {
          out_ << YAML::Flow << YAML::BeginMap << YAML::EndMap;
          return;
        }
        enter();
        out_ << YAML::BeginMap;
        for (auto it = value.begin(); it != value.end(); ++it) {
          path_.push_back({&it.key(), 0});
          out_ << YAML::Key;
          scalar(it.key(), true);
          out_ << YAML::Value;
          node(it.value());
          path_.pop_back();
        }
        out_ << YAML::EndMap;
        --depth_;
        return;
      case Json::value_t::array:
        if (value.empty()) {
          out_ << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
          return;
        }
        enter();
        out_ << YAML::BeginSeq;
        for (std::size_t i = 0; i < value.size(); ++i) {
          path_.push_back({nullptr, i});
          node(value[i]);
          path_.pop_back();
        }
        out_ << YAML::EndSeq;
        --depth_;
        return;
      case Json::value_t::string: scalar(value.get_ref<const std::string&>(), false); return;
      case Json::value_t::null: out_ << YAML::Null; return;
      default: out_ << value.dump(); return;  // numbers and bools: JSON's text is valid YAML
    }
  }

 private:
  struct Step {
    const std::string* key;  // nullptr for a list item
    std::size_t index;
  };

  void scalar(const std::string& s, bool is_key) {
    const Scan found = scan(s);
    if (found.invalid_at != std::string::npos) {
      throw Error(ErrorKind::invalid_input,
                  "cannot write the " + std::string(is_key ? "key" : "value") + " at " + where() +
                      " as YAML: not valid UTF-8 at byte " + std::to_string(found.invalid_at) + ": \"" + printable(s) +
                      "\"",
                  "YAML holds UTF-8 text only: give the value in UTF-8");
    }
    if (found.odd || needs_quotes(s)) {
      const std::string quoted = double_quoted(s);
      // An implicit key may be 1024 characters at most (YAML 1.2 §7.4, go-yaml's scanner).
      if (is_key && quoted.size() > 1024) out_ << YAML::LongKey;
      out_.WriteIntegralType(Verbatim{&quoted});
    } else {
      out_ << s;  // plain, or yaml-cpp quotes what plain cannot hold (": ", " #", …) itself
    }
  }

  void enter() {
    if (++depth_ > max_yaml_depth) {
      throw Error(
          ErrorKind::invalid_input,
          "cannot write " + where() + " as YAML: nested deeper than " + std::to_string(max_yaml_depth) + " levels",
          "flatten the value (e.g. the --config JSON)");
    }
  }

  // "spec.pluginConfig.a[2]", shortened after a few steps; "the document" at the top.
  std::string where() const {
    if (path_.empty()) return "the document";
    std::string out;
    std::size_t shown = 0;
    for (const Step& step : path_) {
      if (++shown > 12) {
        out += "…";
        break;
      }
      if (step.key) {
        out += (out.empty() ? "" : ".") + printable(*step.key, 40);
      } else {
        out += "[" + std::to_string(step.index) + "]";
      }
    }
    return out;
  }

  YAML::Emitter& out_;
  std::vector<Step> path_;
  std::size_t depth_ = 0;
};

bool is_int(const std::string& s) {
  static const std::regex re("[-+]?[0-9]+");
  return std::regex_match(s, re);
}
bool is_hex(const std::string& s) {
  static const std::regex re("0x[0-9a-fA-F]+");
  return std::regex_match(s, re);
}
bool is_octal(const std::string& s) {
  static const std::regex re("0o[0-7]+");
  return std::regex_match(s, re);
}
bool is_float(const std::string& s) {
  static const std::regex re("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  return std::regex_match(s, re);
}

// YAML 1.2 core schema resolution of a plain scalar.
Json resolve_plain(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  try {
    if (is_int(s)) return std::stoll(s);
    if (is_hex(s)) return std::stoll(s.substr(2), nullptr, 16);
    if (is_octal(s)) return std::stoll(s.substr(2), nullptr, 8);
    if (is_float(s)) return std::stod(s);
  } catch (const std::out_of_range&) {
    return s;  // too large for a number: keep the text
  }
  return s;
}

struct Converter {
  // Aliases repeat what they name: bound both the nodes and the bytes the expansion makes
  // ("billion laughs": one 1 MiB scalar aliased 30x30 is 900 MiB).
  size_t budget = 1'000'000;
  size_t bytes = 64u << 20;

  // depth: the maps and lists around node.
  Json convert(const YAML::Node& node, std::size_t depth = 0) {
    if (budget-- == 0) throw Error(ErrorKind::invalid_input, "document too large (alias bomb?)");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: return nullptr;
      case YAML::NodeType::Scalar: {
        if (node.Scalar().size() > bytes)
          throw Error(ErrorKind::invalid_input, "document over 64 MiB once aliases expand");
        bytes -= node.Scalar().size();
        return scalar(node);
      }
      case YAML::NodeType::Sequence: {
        check_depth(depth);
        Json out = Json::array();
        for (const auto& item : node) out.push_back(convert(item, depth + 1));
        return out;
      }
      case YAML::NodeType::Map: {
        check_depth(depth);
        Json out = Json::object();
        for (const auto& item : node) {
          if (!item.first.IsScalar()) {
            throw Error(ErrorKind::invalid_input, "line " + std::to_string(item.first.Mark().line + 1) +
                                                      ": a mapping key must be a plain value, not a list or map");
          }
          const std::string& key = utf8_text(item.first);
          if (key.size() > bytes) throw Error(ErrorKind::invalid_input, "document over 64 MiB once aliases expand");
          bytes -= key.size();
          out[key] = convert(item.second, depth + 1);
        }
        return out;
      }
    }
    return nullptr;
  }

  static void check_depth(std::size_t depth) {
    if (depth >= max_yaml_depth) {
      throw Error(ErrorKind::invalid_input, "nested deeper than " + std::to_string(max_yaml_depth) + " levels");
    }
  }

  // Kubernetes holds UTF-8 only: invalid bytes are refused here, naming the line.
  static const std::string& utf8_text(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    for (std::size_t i = 0; i < text.size();) {
      if (next_code_point(text, i) < 0) {
        throw Error(ErrorKind::invalid_input, "line " + std::to_string(node.Mark().line + 1) + ": not valid UTF-8");
      }
    }
    return text;
  }

  static Json scalar(const YAML::Node& node) {
    const std::string& text = utf8_text(node);
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return text;
    return resolve_plain(text);
  }
};

}  // namespace

std::string to_yaml(const Json& document) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetNullFormat(YAML::LowerNull);
  Writer(out).node(document);
  return std::string(out.c_str()) + "\n";
}

std::string to_yaml_stream(const std::vector<Json>& documents) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetNullFormat(YAML::LowerNull);
  for (const auto& doc : documents) {
    out << YAML::BeginDoc;
    Writer(out).node(doc);
  }
  return std::string(out.c_str()) + "\n";
}

std::vector<Json> parse_yaml_stream(std::string_view text, std::string_view source) {
  std::vector<YAML::Node> nodes;
  // yaml-cpp recurses once per nesting level while it parses: check the text first.
  // The bound counts indentation columns too, so it is looser than max_yaml_depth (which the
  // conversion enforces exactly) to leave room for deeply indented block scalars.
  check_yaml_nesting(text, 512, std::string(source));
  try {
    nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own depth guard reports itself as "bad file": say what it means.
    throw Error(ErrorKind::invalid_input,
                std::string(source) + ":" + std::to_string(e.mark.line + 1) + ": nested too deeply",
                "flatten the YAML");
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::invalid_input, std::string(source) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg,
                "check the YAML syntax");
  }
  std::vector<Json> out;
  Converter converter;
  for (const auto& node : nodes) {
    if (node.IsNull()) continue;
    out.push_back(with_context(std::string(source), [&] { return converter.convert(node); }));
  }
  return out;
}

}  // namespace wasme::render
