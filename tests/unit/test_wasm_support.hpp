#pragma once
// Helpers for the wasm tests: fixture paths and a tiny encoder for hand-built modules.
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>

namespace wasm_test {

// tests/fixtures, found from this file's path so tests run from any working directory.
inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "fixtures" / name;
}

// Unsigned LEB128, shortest form.
inline std::string leb(std::uint64_t value) {
  std::string out;
  do {
    auto b = static_cast<unsigned char>(value & 0x7f);
    value >>= 7;
    if (value) b |= 0x80;
    out += static_cast<char>(b);
  } while (value);
  return out;
}

inline std::string name(const std::string& s) { return leb(s.size()) + s; }

inline std::string section(std::uint8_t id, const std::string& body) {
  return std::string(1, static_cast<char>(id)) + leb(body.size()) + body;
}

inline const std::string header = std::string("\0asm\x01\0\0\0", 8);

inline std::string module(std::initializer_list<std::string> sections) {
  std::string out = header;
  for (const auto& s : sections) out += s;
  return out;
}

inline std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

}  // namespace wasm_test
