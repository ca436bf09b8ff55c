#pragma once
// What many unit tests need: the error a call throws, an environment variable set for one
// test, a whole directory tree as a value to compare.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"

namespace test_support {

// The message of the wasme::Error that f throws; "" when it throws none, so a comparison with
// the message expected fails showing both. Any other exception reaches doctest.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const wasme::Error& e) {
    return e.what();
  }
  return "";
}

// The same, checking that the error is of the kind expected.
inline std::string error_of(const std::function<void()>& f, wasme::ErrorKind expected) {
  try {
    f();
  } catch (const wasme::Error& e) {
    CHECK(e.kind() == expected);
    return e.what();
  }
  return "";
}

// The wasme::Error that f throws, for tests that look at more than its message (its kind, its
// hint); the test fails when f throws none.
inline wasme::Error expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const wasme::Error& e) {
    return e;
  }
  FAIL("expected a wasme::Error, none was thrown");
  return wasme::Error(wasme::ErrorKind::io, "unreachable");
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Sets an environment variable (or unsets it: std::nullopt) for the life of the object, then
// restores what it was, set or unset.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    apply(value);
  }
  ~ScopedEnv() { apply(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void apply(const std::optional<std::string>& value) const {
    if (value) ::setenv(name_.c_str(), value->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }

  std::string name_;
  std::optional<std::string> old_;
};

// Every file and directory under root, by its path relative to root, with its content
// ("<dir>" for a directory): compare two to show that an operation changed nothing at all.
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    std::string key = fs::relative(entry.path(), root).string();
    out[key] = entry.is_directory() ? "<dir>" : wasme::read_file(entry.path(), std::uint64_t{1} << 30);
  }
  return out;
}

}  // namespace test_support
