#include <doctest/doctest.h>

#include <set>
#include <string>

#include "test_wasm_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/wasm/module.hpp"

using wasme::Error;
using namespace wasm_test;
using wasme::wasm::read_module;

namespace {

struct Hostile {
  const char* label;
  std::string input;
  std::string message;  // a substring of the error, offsets included
};

std::string import_entry(const std::string& kind_and_descriptor) {
  return section(2, leb(1) + name("env") + name("x") + kind_and_descriptor);
}

const Hostile hostile_cases[] = {
    {"empty", "", "not a wasm module: the input is empty"},
    {"3 bytes of magic", std::string("\0as", 3),
     "not a wasm module: truncated header (3 of 8 bytes)"},
    {"magic without version", std::string("\0asm", 4), "truncated header (4 of 8 bytes)"},
    {"3 bytes of text", "abc",
     "not a wasm module: bad magic (first bytes 61 62 63, looks like text)"},
    {"JSON", "{\"layers\": []}", "bad magic (first bytes 7b 22 6c 61 …, looks like JSON)"},
    {"wat", "(module)\n", "looks like WebAssembly text; compile it with wat2wasm"},
    {"gzip", bytes({0x1f, 0x8b, 8, 0, 0, 0, 0, 0}), "looks like gzip data"},
    {"ELF", "\x7f" "ELF\x02\x01\x01", "looks like a native ELF executable"},
    {"binary junk", bytes({1, 2, 3, 4, 5}), "bad magic (first bytes 01 02 03 04 …)"},
    {"version 2", std::string("\0asm\x02\0\0\0", 8),
     "unsupported wasm version 2 (only version 1 exists)"},
    {"component", std::string("\0asm\x0d\0\x01\0", 8),
     "unsupported wasm version 65549 (a WebAssembly component; proxy-wasm runs core modules)"},
    {"section size past end", header + bytes({1, 5, 0}),
     "wasm module: section header at offset 0x8: type section size 5 exceeds end of module "
     "(1 byte left)"},
    {"section size cut short", header + bytes({1}),
     "wasm module: section header at offset 0x9: section size runs past end of module"},
    {"LEB128 of 6 bytes", header + bytes({0, 0x80, 0x80, 0x80, 0x80, 0x80, 0}),
     "wasm module: section header at offset 0x9: section size: LEB128 encoding longer than 5 "
     "bytes"},
    {"LEB128 above u32", header + bytes({0, 0xff, 0xff, 0xff, 0xff, 0x1f}),
     "section header at offset 0x9: section size: LEB128 value exceeds 32 bits"},
    {"name length huge", module({section(2, leb(1) + leb(0xffffffff))}),
     "wasm module: import section at offset 0xb: import module name length 4294967295 exceeds "
     "section end (0 bytes left)"},
    {"import count huge", module({section(2, leb(0xffffffff))}),
     "wasm module: import section at offset 0xa: import count 4294967295 exceeds section end "
     "(needs at least 17179869180 bytes, 0 left)"},
    {"export count huge", module({section(7, leb(0x00ffffff) + name("e") + bytes({0, 0}))}),
     "export section at offset 0xa: export count 16777215 exceeds section end"},
    {"unknown import kind", module({import_entry(bytes({5, 0}))}),
     "import section at offset 0x11: unknown import \"env\".\"x\" kind 0x05"},
    {"import kind missing", module({section(2, leb(1) + name("env") + name("x"))}),
     "import section at offset 0x11: import \"env\".\"x\" kind runs past section end"},
    {"import name cut short", module({section(2, leb(1) + name("env"))}),
     "import section at offset 0xf: import name length runs past section end"},
    {"duplicate export section", module({section(7, leb(0)), section(7, leb(0))}),
     "section header at offset 0xb: duplicate export section (the first is at offset 0x8)"},
    {"duplicate import section", module({section(2, leb(0)), section(2, leb(0))}),
     "duplicate import section (the first is at offset 0x8)"},
    {"sections out of order", module({section(7, leb(0)), section(2, leb(0))}),
     "section header at offset 0xb: import section after export section: sections are out of "
     "order"},
    {"trailing bytes in import section", module({section(2, leb(0) + bytes({0}))}),
     "import section at offset 0xb: 1 byte of trailing data after the last import"},
    {"trailing bytes in export section",
     module({section(7, leb(1) + name("e") + bytes({0, 0, 9, 9}))}),
     "export section at offset 0xf: 2 bytes of trailing data after the last export"},
    {"name not UTF-8", module({section(7, leb(1) + name("\xff") + bytes({0, 0}))}),
     "export section at offset 0xc: export name is not valid UTF-8"},
    {"name is a UTF-16 surrogate",
     module({section(7, leb(1) + name("\xed\xa0\x80") + bytes({0, 0}))}),
     "export name is not valid UTF-8"},
    {"table element type", module({import_entry(bytes({1, 0x40, 0, 1}))}),
     "import section at offset 0x12: unknown table element type 0x40"},
    {"shared table", module({import_entry(bytes({1, 0x70, 2, 1, 1}))}),
     "import section at offset 0x13: unknown table limits flags 0x02"},
    {"memory limits flags", module({import_entry(bytes({2, 8, 1}))}),
     "unknown memory limits flags 0x08"},
    {"memory maximum cut short", module({import_entry(bytes({2, 1, 1}))}),
     "import section at offset 0x14: limits maximum runs past section end"},
    {"memory64 LEB128 of 11 bytes",
     module({import_entry(bytes({2, 4}) + std::string(10, '\x80') + bytes({0}))}),
     "limits minimum: LEB128 encoding longer than 10 bytes"},
    {"global value type", module({import_entry(bytes({3, 0x40, 0}))}),
     "unknown global value type 0x40"},
    {"global mutability", module({import_entry(bytes({3, 0x7f, 2}))}),
     "import section at offset 0x13: global mutability must be 0 or 1, got 0x02"},
    {"tag attribute", module({import_entry(bytes({4, 1, 0}))}),
     "tag attribute must be 0, got 0x01"},
    {"type index LEB128 of 6 bytes",
     module({import_entry(bytes({0, 0x80, 0x80, 0x80, 0x80, 0x80, 0}))}),
     "import section at offset 0x12: import type index: LEB128 encoding longer than 5 bytes"},
    {"unknown export kind", module({section(7, leb(1) + name("e") + bytes({5, 0}))}),
     "export section at offset 0xd: unknown export \"e\" kind 0x05"},
    {"duplicate export name",
     module({section(7, leb(2) + name("e") + bytes({0, 0}) + name("e") + bytes({0, 1}))}),
     "export section at offset 0xf: duplicate export name \"e\""},
    {"name bounded by its section, not the module",
     module({section(7, leb(1) + leb(10) + "ab"), section(0, name("pad") + std::string(20, 'p'))}),
     "export section at offset 0xb: export name length 10 exceeds section end (2 bytes left)"},
};

}  // namespace

TEST_CASE("hostile inputs fail with located invalid_input errors") {
  for (const auto& c : hostile_cases) {
    CAPTURE(c.label);
    try {
      read_module(c.input);
      FAIL("accepted: ", c.label);
    } catch (const Error& e) {
      CHECK(e.kind() == wasme::ErrorKind::invalid_input);
      CHECK_MESSAGE(std::string(e.what()).find(c.message) != std::string::npos, e.what());
      CHECK_FALSE(e.hint().empty());
    }
  }
}

TEST_CASE("control characters in names are escaped in messages") {
  const std::string evil = "\x1b[2J\xc2\x9b";
  const auto entry = name(evil) + bytes({0, 0});
  const auto input = module({section(7, leb(2) + entry + entry)});
  try {
    read_module(input);
    FAIL("accepted a duplicate export");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.find("\"\\x1b[2J\\u009b\"") != std::string::npos);
    CHECK(message.find('\x1b') == std::string::npos);
  }
}

TEST_CASE("valid edge cases are accepted") {
  // Custom and unknown sections anywhere, padded LEB128, memory64 limits above 2^32, shared memory.
  const auto input =
      header + section(0, name("first") + "data") + section(2, leb(0)) + section(42, "future") +
      bytes({7, 0x81, 0x80, 0x80, 0x80, 0}) + leb(0) + section(0, name("last"));
  CHECK(read_module(input).exports.empty());

  const auto memories = module({section(
      2, leb(2) + name("env") + name("big") + bytes({2, 5}) + leb(1ull << 40) + leb(1ull << 48) +
             name("env") + name("shared") + bytes({2, 3, 1, 2}))});
  const auto info = read_module(memories);
  REQUIRE(info.imports.size() == 2);
  CHECK(info.imports[1].name == "shared");

  const auto empty = read_module(header);
  CHECK(empty.imports.empty());
  CHECK(empty.abi == wasme::wasm::ProxyAbi::none);
}

namespace {

// Offsets where a module may legally end: after the header and after each section.
std::set<std::size_t> section_ends(const std::string& m) {
  std::set<std::size_t> ends{8};
  std::size_t pos = 8;
  while (pos < m.size()) {
    ++pos;  // id
    std::uint64_t size = 0;
    for (unsigned shift = 0;; shift += 7) {
      const auto b = static_cast<unsigned char>(m[pos++]);
      size |= std::uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) break;
    }
    pos += size;
    ends.insert(pos);
  }
  return ends;
}

}  // namespace

TEST_CASE("every truncation of a valid module throws Error unless it ends on a section") {
  for (const char* file : {"abi_0_2_1.wasm", "istio_1_4.wasm", "all_import_kinds.wasm",
                           "clang_filter.wasm"}) {
    const std::string bytes = wasme::read_file(fixture(file));
    const auto ends = section_ends(bytes);
    CHECK(*ends.rbegin() == bytes.size());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      CAPTURE(file);
      CAPTURE(n);
      bool threw = false;
      try {
        read_module(std::string_view(bytes).substr(0, n));
      } catch (const Error&) {
        threw = true;
      }
      CHECK(threw == (ends.count(n) == 0));
    }
  }
}

TEST_CASE("single-byte mutations of fixtures never escape as anything but Error") {
  for (const char* file : {"abi_0_2_1.wasm", "all_import_kinds.wasm", "clang_filter.wasm"}) {
    const std::string original = wasme::read_file(fixture(file));
    for (std::size_t i = 0; i < original.size(); ++i) {
      const auto b = static_cast<unsigned char>(original[i]);
      for (unsigned value : {0x00u, 0x01u, 0x7fu, 0x80u, 0xffu, b ^ 0x01u, b ^ 0x80u, b ^ 0x40u}) {
        std::string mutated = original;
        mutated[i] = static_cast<char>(value);
        try {
          read_module(mutated);
        } catch (const Error&) {
        } catch (const std::exception& e) {
          FAIL("unexpected exception at byte ", i, " = ", value, ": ", e.what());
        }
      }
    }
  }
}
