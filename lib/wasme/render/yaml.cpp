#include "wasme/render/yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "wasme/core/error.hpp"

namespace wasme::render {
namespace {

// Words YAML 1.1 (go-yaml, which kubectl uses) or 1.2 would read as bool or null.
bool is_special_word(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* words[] = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
                                "<<", "=", ".inf", "-.inf", "+.inf", ".nan"};
  return std::any_of(std::begin(words), std::end(words), [&](const char* w) { return s == w; });
}

// True when a plain scalar with this text could be resolved as a non-string: numbers,
// dates, times and sexagesimals start with a digit, or a sign or dot before a digit.
bool needs_quotes(const std::string& s) {
  if (s.empty() || is_special_word(s)) return true;
  auto digit = [&](size_t i) { return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); };
  if (digit(0)) return true;
  if ((s[0] == '+' || s[0] == '-') && (digit(1) || (s.size() > 1 && s[1] == '.'))) return true;
  if (s[0] == '.' && digit(1)) return true;
  return s.rfind("---", 0) == 0 || s.rfind("...", 0) == 0;
}

void emit_string(YAML::Emitter& out, const std::string& s) {
  if (needs_quotes(s) || s.find('\n') != std::string::npos) {
    out << YAML::DoubleQuoted << s;
  } else {
    out << s;  // yaml-cpp itself quotes what is not a valid plain scalar (": ", " #", …)
  }
}

void emit(YAML::Emitter& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        emit_string(out, key);
        out << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      return;
    case Json::value_t::string: emit_string(out, value.get<std::string>()); return;
    case Json::value_t::null: out << YAML::Null; return;
    default: out << value.dump(); return;  // numbers and bools: JSON's text is valid YAML
  }
}

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
  size_t budget = 1'000'000;  // nodes; bounds alias expansion ("billion laughs")

  Json convert(const YAML::Node& node) {
    if (budget-- == 0) throw Error(ErrorKind::invalid_input, "document too large (alias bomb?)");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: return nullptr;
      case YAML::NodeType::Scalar: return scalar(node);
      case YAML::NodeType::Sequence: {
        Json out = Json::array();
        for (const auto& item : node) out.push_back(convert(item));
        return out;
      }
      case YAML::NodeType::Map: {
        Json out = Json::object();
        for (const auto& item : node) out[item.first.as<std::string>()] = convert(item.second);
        return out;
      }
    }
    return nullptr;
  }

  static Json scalar(const YAML::Node& node) {
    const std::string& text = node.Scalar();
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
  emit(out, document);
  return std::string(out.c_str()) + "\n";
}

std::string to_yaml_stream(const std::vector<Json>& documents) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetNullFormat(YAML::LowerNull);
  for (const auto& doc : documents) {
    out << YAML::BeginDoc;
    emit(out, doc);
  }
  return std::string(out.c_str()) + "\n";
}

std::vector<Json> parse_yaml_stream(std::string_view text, std::string_view source) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::invalid_input,
                std::string(source) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg,
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
