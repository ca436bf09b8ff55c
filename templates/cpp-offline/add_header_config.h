// The filter's configuration: a JSON object such as {"value": "hello"} or
// {"name": "x-greeting", "value": "hello"}. A small reader instead of a JSON library keeps
// the module small and free of dependencies; it accepts any JSON object, checks the members
// it knows and ignores the others.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct AddHeaderConfig {
  std::string name = "newheader";  // the response header to add
  std::string value;               // its value
};

namespace add_header_detail {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : text_(text) {}

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool at_end() const { return pos_ >= text_.size(); }
  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char peek() {
    skip_space();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  // A JSON string into UTF-8; false on malformed input.
  bool string(std::string& out) {
    if (!eat('"')) return false;
    out.clear();
    while (pos_ < text_.size()) {
      unsigned char c = static_cast<unsigned char>(text_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        continue;
      }
      if (pos_ >= text_.size()) return false;
      char e = text_[pos_++];
      switch (e) {
        case '"': case '\\': case '/': out.push_back(e); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': if (!unicode_escape(out)) return false; break;
        default: return false;
      }
    }
    return false;
  }

  // Any JSON value, discarded; depth bounds the recursion.
  bool skip_value(int depth = 0) {
    if (depth > 64) return false;
    char c = peek();
    std::string ignored;
    if (c == '"') return string(ignored);
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++pos_;
      if (eat(close)) return true;
      do {
        if (c == '{' && (!string(ignored) || !eat(':'))) return false;
        if (!skip_value(depth + 1)) return false;
      } while (eat(','));
      return eat(close);
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return true;
      }
    }
    size_t start = pos_;
    while (pos_ < text_.size() && std::string_view("+-.0123456789eE").find(text_[pos_]) !=
                                      std::string_view::npos) {
      ++pos_;
    }
    return pos_ > start;
  }

 private:
  bool hex4(uint32_t& out) {
    if (text_.size() - pos_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char h = text_[pos_++];
      out <<= 4;
      if (h >= '0' && h <= '9') out |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') out |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') out |= static_cast<uint32_t>(h - 'A' + 10);
      else return false;
    }
    return true;
  }

  bool unicode_escape(std::string& out) {
    uint32_t cp = 0;
    if (!hex4(cp)) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair makes one code point
      uint32_t low = 0;
      if (text_.substr(pos_, 2) != "\\u") return false;
      pos_ += 2;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return false;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace add_header_detail

// Reads text into config. Returns "" on success, else what is wrong with the text.
inline std::string parse_add_header_config(std::string_view text, AddHeaderConfig& config) {
  add_header_detail::JsonCursor json(text);
  const char* expected = R"(expected a JSON object like {"value": "hello"})";
  if (json.peek() == '\0') return std::string("the configuration is empty; ") + expected;
  if (!json.eat('{')) return std::string("the configuration is not a JSON object; ") + expected;
  bool have_value = false;
  if (!json.eat('}')) {
    do {
      std::string key;
      if (!json.string(key) || !json.eat(':')) return "malformed JSON: expected a member name";
      if (key == "name" || key == "value") {
        std::string text_value;
        if (json.peek() != '"' || !json.string(text_value)) return "\"" + key + "\" must be a string";
        if (key == "name") config.name = text_value;
        if (key == "value") {
          config.value = text_value;
          have_value = true;
        }
      } else if (!json.skip_value()) {
        return "malformed JSON in member \"" + key + "\"";
      }
    } while (json.eat(','));
    if (!json.eat('}')) return "malformed JSON: expected ',' or '}'";
  }
  json.skip_space();
  if (!json.at_end()) return "malformed JSON: text after the closing '}'";
  if (!have_value) return std::string("the configuration has no \"value\"; ") + expected;
  if (config.name.empty()) return "\"name\" must not be empty";
  return "";
}
