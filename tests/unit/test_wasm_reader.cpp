#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "test_support.hpp"
#include "test_wasm_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/wasm/reader.hpp"

using wasm_test::bytes;
using wasme::Error;
using wasme::wasm::Bound;
using wasme::wasm::Reader;

namespace {

struct LebCase {
  std::string input;
  std::optional<std::uint64_t> value;  // nullopt: must fail with `error`
  std::string error;
  std::size_t consumed = 0;
};

// Why the reader refuses ("" when it does not); every refusal is invalid_input.
std::string reader_error(const std::function<void()>& f) {
  return test_support::error_of(f, wasme::ErrorKind::invalid_input);
}

}  // namespace

TEST_CASE("u32 LEB128: shortest, padded, overlong, overflow, truncated") {
  const LebCase cases[] = {
      {bytes({0}), 0, "", 1},
      {bytes({0x7f}), 127, "", 1},
      {bytes({0x80, 0x01}), 128, "", 2},
      {bytes({0xe5, 0x8e, 0x26}), 624485, "", 3},
      {bytes({0x80, 0x80, 0x80, 0x80, 0x00}), 0, "", 5},            // padded to 5 bytes: allowed
      {bytes({0xff, 0xff, 0xff, 0xff, 0x0f}), 0xffffffffu, "", 5},  // u32 max
      {bytes({0x01, 0x99}), 1, "", 1},                              // stops at the first byte
      {bytes({0xff, 0xff, 0xff, 0xff, 0x10}), std::nullopt, "x: LEB128 value exceeds 32 bits"},
      {bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), std::nullopt, "x: LEB128 encoding longer than 5 bytes"},
      {bytes({0x80, 0x80}), std::nullopt, "x runs past section end"},
      {"", std::nullopt, "x runs past section end"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input.size());
    Reader r(c.input, 0x20, "test section", Bound::section_end);
    if (c.value) {
      CHECK(r.u32("x") == *c.value);
      CHECK(r.offset() == 0x20 + c.consumed);
    } else {
      CHECK(reader_error([&] { r.u32("x"); }) == "wasm module: test section at offset 0x20: " + c.error);
    }
  }
}

TEST_CASE("u64 LEB128") {
  const LebCase cases[] = {
      {wasm_test::leb(1ull << 40), 1ull << 40, "", 6},
      {bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), UINT64_MAX, "", 10},
      {bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}), std::nullopt,
       "y: LEB128 value exceeds 64 bits"},
      {bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), std::nullopt,
       "y: LEB128 encoding longer than 10 bytes"},
  };
  for (const auto& c : cases) {
    Reader r(c.input, 0, "s", Bound::module_end);
    if (c.value) {
      CHECK(r.u64("y") == *c.value);
      CHECK(r.offset() == c.consumed);
    } else {
      CHECK(reader_error([&] { r.u64("y"); }) == "wasm module: s at offset 0x0: " + c.error);
    }
  }
}

TEST_CASE("names are bounded by what remains and must be UTF-8") {
  {
    const std::string input = wasm_test::name("héllo") + "rest";
    Reader r(input, 0, "s", Bound::section_end);
    CHECK(r.name("n") == "héllo");
    CHECK(r.remaining() == 4);
  }
  {
    const std::string input = wasm_test::leb(5) + "abcd";
    Reader r(input, 0x10, "s", Bound::module_end);
    CHECK(reader_error([&] { r.name("n"); }) ==
          "wasm module: s at offset 0x10: n length 5 exceeds end of module (4 bytes left)");
  }
  {
    const std::string input = wasm_test::name("a\xc0\x80");
    Reader r(input, 0, "s", Bound::section_end);
    CHECK(reader_error([&] { r.name("n"); }) == "wasm module: s at offset 0x1: n is not valid UTF-8");
  }
}

TEST_CASE("counts are checked against the bytes left before anyone reserves") {
  const std::string input = wasm_test::leb(3) + std::string(8, 'x');
  Reader ok(input, 0, "s", Bound::section_end);
  CHECK(ok.count("c", 2) == 3);
  Reader too_many(input, 0, "s", Bound::section_end);
  CHECK(reader_error([&] { too_many.count("c", 3); }) ==
        "wasm module: s at offset 0x0: c 3 exceeds section end (needs at least 9 bytes, 8 left)");
}

TEST_CASE("UTF-8 validation") {
  struct Case {
    std::string text;
    bool valid;
  };
  const Case cases[] = {
      {"", true},
      {"proxy_on_vm_start", true},
      {"\xc3\xa9", true},              // é
      {"\xe2\x82\xac", true},          // €
      {"\xf0\x9f\x98\x80", true},      // 😀
      {"\xf4\x8f\xbf\xbf", true},      // U+10FFFF
      {std::string("a\0b", 3), true},  // NUL is a valid code point
      {"\x80", false},                 // lone continuation
      {"\xc3", false},                 // truncated
      {"\xc0\xaf", false},             // overlong '/'
      {"\xe0\x80\xaf", false},         // overlong 3-byte
      {"\xed\xa0\x80", false},         // surrogate U+D800
      {"\xf0\x80\x80\xaf", false},     // overlong 4-byte
      {"\xf4\x90\x80\x80", false},     // above U+10FFFF
      {"\xf5\x80\x80\x80", false},     // invalid lead
      {"\xe2\x28\xa1", false},         // bad continuation
      {"\xff", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(wasme::wasm::is_valid_utf8(c.text) == c.valid);
  }
}

TEST_CASE("quote_name escapes controls and cuts long names on a character boundary") {
  using wasme::wasm::quote_name;
  CHECK(quote_name("env") == "\"env\"");
  CHECK(quote_name("a\"b\\c") == "\"a\\x22b\\x5cc\"");
  CHECK(quote_name("\x1b[31m\x7f") == "\"\\x1b[31m\\x7f\"");
  CHECK(quote_name("\xc2\x9b"
                   "2J") == "\"\\u009b2J\"");
  CHECK(quote_name("é") == "\"é\"");
  const std::string long_name = std::string(79, 'a') + "é" + std::string(20, 'b');
  CHECK(quote_name(long_name) == "\"" + std::string(79, 'a') + "\"… (101 bytes)");
}

TEST_CASE("hex_offset") {
  CHECK(wasme::wasm::hex_offset(0) == "0x0");
  CHECK(wasme::wasm::hex_offset(0x1a) == "0x1a");
  CHECK(wasme::wasm::hex_offset(0x100000000ull) == "0x100000000");
}
