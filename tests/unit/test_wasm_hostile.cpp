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
    {"3 bytes of magic", std::string("\0as", 3), "not a wasm module: truncated header (3 of 8 bytes)"},
    {"magic without version", std::string("\0asm", 4), "truncated header (4 of 8 bytes)"},
    {"3 bytes of text", "abc", "not a wasm module: bad magic (first bytes 61 62 63, looks like text)"},
    {"JSON", "{\"layers\": []}", "bad magic (first bytes 7b 22 6c 61 …, looks like JSON)"},
    {"wat", "(module)\n", "looks like WebAssembly text; compile it with wat2wasm"},
    {"gzip", bytes({0x1f, 0x8b, 8, 0, 0, 0, 0, 0}), "looks like gzip data"},
    {"ELF",
     "\x7f"
     "ELF\x02\x01\x01",
     "looks like a native ELF executable"},
    {"binary junk", bytes({1, 2, 3, 4, 5}), "bad magic (first bytes 01 02 03 04 …)"},
    {"version 2", std::string("\0asm\x02\0\0\0", 8), "unsupported wasm version 2 (only version 1 exists)"},
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
    {"trailing bytes in export section", module({section(7, leb(1) + name("e") + bytes({0, 0, 9, 9}))}),
     "export section at offset 0xf: 2 bytes of trailing data after the last export"},
    {"name not UTF-8", module({section(7, leb(1) + name("\xff") + bytes({0, 0}))}),
     "export section at offset 0xc: export name is not valid UTF-8"},
    {"name is a UTF-16 surrogate", module({section(7, leb(1) + name("\xed\xa0\x80") + bytes({0, 0}))}),
     "export name is not valid UTF-8"},
    {"table element type", module({import_entry(bytes({1, 0x40, 0, 1}))}),
     "import section at offset 0x12: unknown table element type 0x40"},
    {"shared table", module({import_entry(bytes({1, 0x70, 2, 1, 1}))}),
     "import section at offset 0x13: unknown table limits flags 0x02"},
    {"memory limits flags", module({import_entry(bytes({2, 8, 1}))}), "unknown memory limits flags 0x08"},
    {"memory maximum cut short", module({import_entry(bytes({2, 1, 1}))}),
     "import section at offset 0x14: limits maximum runs past section end"},
    {"memory64 LEB128 of 11 bytes", module({import_entry(bytes({2, 4}) + std::string(10, '\x80') + bytes({0}))}),
     "limits minimum: LEB128 encoding longer than 10 bytes"},
    {"global value type", module({import_entry(bytes({3, 0x40, 0}))}), "unknown global value type 0x40"},
    {"global mutability", module({import_entry(bytes({3, 0x7f, 2}))}),
     "import section at offset 0x13: global mutability must be 0 or 1, got 0x02"},
    {"tag attribute", module({import_entry(bytes({4, 1, 0}))}), "tag attribute must be 0, got 0x01"},
    {"type index LEB128 of 6 bytes", module({import_entry(bytes({0, 0x80, 0x80, 0x80, 0x80, 0x80, 0}))}),
     "import section at offset 0x12: import type index: LEB128 encoding longer than 5 bytes"},
    {"unknown export kind", module({section(7, leb(1) + name("e") + bytes({5, 0}))}),
     "export section at offset 0xd: unknown export \"e\" kind 0x05"},
    {"duplicate export name", module({section(7, leb(2) + name("e") + bytes({0, 0}) + name("e") + bytes({0, 1}))}),
     "export section at offset 0xf: duplicate export name \"e\""},
    {"name bounded by its section, not the module",
     module({section(7, leb(1) + leb(10) + "ab"), section(0, name("pad") + std::string(20, 'p'))}),
     "export section at offset 0xb: export name length 10 exceeds section end (2 bytes left)"},
};

template <std::size_t N>
void check_rejected(const Hostile (&cases)[N]) {
  for (const auto& c : cases) {
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

// A module importing global env.x: its kind byte lands at offset 0x11, its type at 0x12.
std::string global_import(const std::string& type_and_mutability) {
  return module({import_entry(bytes({3}) + type_and_mutability)});
}

const Hostile framing_cases[] = {
    {"unknown section id", module({section(14, "")}),
     "wasm module: section header at offset 0x8: section 14 (unknown id): known sections have "
     "ids 0 to 13"},
    {"unknown section id after a valid section", module({section(1, leb(0)), section(255, "x")}),
     "section header at offset 0xb: section 255 (unknown id)"},
    {"unknown section id with a size past the end", header + bytes({42, 0xff, 0xff, 0xff, 0x0f}),
     "section header at offset 0x8: section 42 (unknown id)"},
    {"custom section without a name", module({section(0, "")}),
     "wasm module: custom section at offset 0xa: custom section name length runs past section "
     "end"},
    {"custom section name longer than its section", module({section(0, leb(10) + "ab")}),
     "custom section at offset 0xa: custom section name length 10 exceeds section end (needs at "
     "least 10 bytes, 2 left)"},
    {"custom section name bounded by its section, not the module",
     module({section(0, leb(3) + "ab"), section(0, name("next"))}),
     "custom section at offset 0xa: custom section name length 3 exceeds section end"},
    {"custom section name not UTF-8", module({section(0, name("\xc0\xaf") + "payload")}),
     "custom section at offset 0xb: custom section name is not valid UTF-8"},
    {"custom section name length LEB128 of 6 bytes", module({section(0, bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0}))}),
     "custom section at offset 0xa: custom section name length: LEB128 encoding longer than 5 "
     "bytes"},
    {"duplicate type section", module({section(1, leb(0)), section(1, leb(0))}),
     "section header at offset 0xb: duplicate type section (the first is at offset 0x8)"},
    {"duplicate data count section", module({section(12, leb(0)), section(12, leb(0))}),
     "section header at offset 0xb: duplicate data count section (the first is at offset 0x8)"},
    {"duplicate start section", module({section(8, leb(0)), section(8, leb(0))}), "duplicate start section"},
    {"data count after code", module({section(10, leb(0)), section(12, leb(0))}),
     "section header at offset 0xb: data count section after code section: sections are out of "
     "order"},
    {"code after data", module({section(11, leb(0)), section(10, leb(0))}),
     "code section after data section: sections are out of order"},
    {"tag after global", module({section(6, leb(0)), section(13, leb(0))}),
     "tag section after global section: sections are out of order"},
    {"order kept across custom sections", module({section(7, leb(0)), section(0, name("c")), section(3, leb(0))}),
     "function section after export section: sections are out of order"},
};

// Each entry takes at least one byte, so a count larger than what is left is malformed and
// must fail before anything is reserved or looped over.
const Hostile count_cases[] = {
    {"type count about 4e9 in five bytes", module({section(1, leb(4000000000u))}),
     "wasm module: type section at offset 0xa: type count 4000000000 exceeds section end (needs "
     "at least 8000000000 bytes, 0 left)"},
    {"function count beyond its section", module({section(3, leb(3) + leb(0) + leb(0))}),
     "function section at offset 0xa: function count 3 exceeds section end (needs at least 3 "
     "bytes, 2 left)"},
    {"memory count beyond its section", module({section(5, leb(2) + bytes({0, 1}))}),
     "memory section at offset 0xa: memory count 2 exceeds section end"},
    {"tag count beyond its section", module({section(13, leb(0xffffffff))}),
     "tag section at offset 0xa: tag count 4294967295 exceeds section end"},
    {"table count beyond its section", module({section(4, leb(7) + bytes({0x70, 0, 1}))}),
     "table section at offset 0xa: table count 7 exceeds section end (needs at least 21 bytes, 3 "
     "left)"},
    {"global count beyond its section", module({section(6, leb(2) + bytes({0x7f, 0, 0x0b}))}),
     "global section at offset 0xa: global count 2 exceeds section end (needs at least 6 bytes, "
     "3 left)"},
    {"element count beyond its section", module({section(9, leb(1))}),
     "element section at offset 0xa: element segment count 1 exceeds section end (needs at "
     "least 3 bytes, 0 left)"},
    {"code count beyond its section", module({section(10, leb(1000) + "xyz")}),
     "code section at offset 0xa: function body count 1000 exceeds section end (needs at least "
     "3000 bytes, 3 left)"},
    // 151 bytes of body: the size takes two bytes, and only the count is read of the body.
    {"data segment count beyond a section read in part", module({section(11, leb(100) + std::string(150, 'd'))}),
     "data section at offset 0xb: data segment count 100 exceeds section end (needs at least "
     "200 bytes, 150 left)"},
    {"parameter count beyond the type section", module({section(1, leb(1) + bytes({0x60}) + leb(0xffffffff))}),
     "type section at offset 0xc: parameter type count 4294967295 exceeds section end"},
    {"result count beyond the type section", module({section(1, leb(1) + bytes({0x60, 0}) + leb(9) + bytes({0x7f}))}),
     "type section at offset 0xd: result type count 9 exceeds section end (needs at least 9 "
     "bytes, 1 left)"},
    {"struct field count beyond the type section",
     module({section(1, leb(1) + bytes({0x5f}) + leb(100) + bytes({0x7f, 0}))}),
     "type section at offset 0xc: struct field count 100 exceeds section end (needs at least "
     "200 bytes, 2 left)"},
    {"recursion group size beyond the type section", module({section(1, leb(1) + bytes({0x4e}) + leb(50))}),
     "type section at offset 0xc: recursion group size 50 exceeds section end"},
    {"supertype count beyond the type section",
     module({section(1, leb(1) + bytes({0x50}) + leb(5) + bytes({0, 0x5f, 0}))}),
     "type section at offset 0xc: supertype count 5 exceeds section end"},
};

const Hostile leb_cases[] = {
    {"type count LEB128 of 6 bytes", module({section(1, bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0}))}),
     "type section at offset 0xa: type count: LEB128 encoding longer than 5 bytes"},
    {"function count LEB128 above u32", module({section(3, bytes({0xff, 0xff, 0xff, 0xff, 0x7f}))}),
     "function section at offset 0xa: function count: LEB128 value exceeds 32 bits"},
    {"function type index LEB128 above u32", module({section(3, leb(1) + bytes({0x80, 0x80, 0x80, 0x80, 0x10}))}),
     "function section at offset 0xb: function type index: LEB128 value exceeds 32 bits"},
    {"code count LEB128 of 6 bytes in a section read in part",
     module({section(10, bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0}) + std::string(9, 'c'))}),
     "code section at offset 0xa: function body count: LEB128 encoding longer than 5 bytes"},
    {"data count LEB128 above u32", module({section(12, bytes({0x80, 0x80, 0x80, 0x80, 0x10}))}),
     "data count section at offset 0xa: data count: LEB128 value exceeds 32 bits"},
    {"start index LEB128 cut short", module({section(8, bytes({0x80, 0x80}))}),
     "start section at offset 0xa: start function index runs past section end"},
    {"export count LEB128 of 6 bytes", module({section(7, bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0}))}),
     "export section at offset 0xa: export count: LEB128 encoding longer than 5 bytes"},
    // Heap types are s33: a fifth byte may only carry the sign in its unused bits.
    {"heap type s33 above 33 bits", global_import(bytes({0x64, 0x80, 0x80, 0x80, 0x80, 0x10, 0})),
     "import section at offset 0x13: heap type: LEB128 value exceeds 33 bits (signed)"},
    {"heap type LEB128 of 6 bytes", global_import(bytes({0x64, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 0})),
     "import section at offset 0x13: heap type: LEB128 encoding longer than 5 bytes"},
    // -16 is funcref's byte, but an abstract heap type is that single byte, not a number.
    {"heap type padded negative", global_import(bytes({0x63, 0xf0, 0x7f, 0})),
     "import section at offset 0x13: unknown heap type -16"},
    {"heap type negative and unknown", global_import(bytes({0x63, 0x40, 0})),
     "import section at offset 0x13: unknown heap type -64"},
};

// A section's size must equal what its contents take, and a present section is never empty:
// even an empty vector needs its count byte.
const Hostile consumed_cases[] = {
    {"empty type section", module({section(1, "")}), "type section at offset 0xa: type count runs past section end"},
    {"empty start section", module({section(8, "")}),
     "start section at offset 0xa: start function index runs past section end"},
    {"empty data count section", module({section(12, "")}),
     "data count section at offset 0xa: data count runs past section end"},
    {"empty code section", module({section(10, "")}),
     "code section at offset 0xa: function body count runs past section end"},
    {"trailing bytes in type section", module({section(1, leb(1) + bytes({0x60, 0, 0, 0x7f}))}),
     "type section at offset 0xe: 1 byte of trailing data after the last type"},
    {"trailing bytes in function section", module({section(3, leb(1) + leb(0) + bytes({0}))}),
     "function section at offset 0xc: 1 byte of trailing data after the last function"},
    {"trailing bytes in memory section", module({section(5, leb(1) + bytes({0, 1, 9}))}),
     "memory section at offset 0xd: 1 byte of trailing data after the last memory"},
    {"trailing bytes in tag section", module({section(13, leb(1) + bytes({0, 0, 0}))}),
     "tag section at offset 0xd: 1 byte of trailing data after the last tag"},
    {"start section with two indices", module({section(8, leb(0) + leb(1))}),
     "start section at offset 0xb: 1 byte of trailing data after the start function index"},
    {"trailing bytes after the data count", module({section(12, leb(0) + bytes({0, 0}))}),
     "data count section at offset 0xb: 2 bytes of trailing data after the data count"},
    {"trailing bytes after an empty code vector", module({section(10, leb(0) + "xyz")}),
     "code section at offset 0xb: 3 bytes of trailing data after the function body count 0"},
    {"trailing bytes after an empty vector in a section read in part",
     module({section(11, leb(0) + std::string(10, 'x'))}),
     "data section at offset 0xb: 10 bytes of trailing data after the data segment count 0"},
    {"section size cuts an entry short", module({section(3, leb(1))}),
     "function section at offset 0xa: function count 1 exceeds section end"},
};

const Hostile paired_count_cases[] = {
    {"function section without code section", module({section(3, leb(1) + leb(0))}),
     "wasm module: end of module at offset 0xc: the function section declares 1 function but "
     "there is no code section"},
    {"code section without function section", module({section(10, leb(1) + bytes({2, 0, 0x0b}))}),
     "code section at offset 0xa: code section has 1 function body but the function section "
     "declares 0 functions"},
    {"function and code counts differ",
     module({section(3, leb(2) + leb(0) + leb(0)), section(10, leb(1) + bytes({2, 0, 0x0b}))}),
     "code section at offset 0xf: code section has 1 function body but the function section "
     "declares 2 functions"},
    {"data count without data section", module({section(12, leb(2))}),
     "end of module at offset 0xb: the data count section says 2 segments but there is no data "
     "section"},
    {"data count disagrees with data section", module({section(12, leb(2)), section(11, leb(1) + bytes({1, 0}))}),
     "data section at offset 0xd: data section has 1 segment but the data count section says 2"},
};

const Hostile strict_section_cases[] = {
    {"unknown type form", module({section(1, leb(1) + bytes({0x40, 0}))}),
     "type section at offset 0xb: unknown type form 0x40"},
    {"unknown parameter type", module({section(1, leb(1) + bytes({0x60, 1, 0x40, 0}))}),
     "type section at offset 0xd: unknown parameter type 0x40"},
    {"unknown result type", module({section(1, leb(1) + bytes({0x60, 0, 1, 0x7a}))}),
     "type section at offset 0xe: unknown result type 0x7a"},
    {"field mutability", module({section(1, leb(1) + bytes({0x5e, 0x78, 2}))}),
     "type section at offset 0xd: field mutability must be 0 or 1, got 0x02"},
    {"packed type outside a field", module({section(1, leb(1) + bytes({0x60, 1, 0x78, 0}))}),
     "type section at offset 0xd: unknown parameter type 0x78"},
    {"recursion groups do not nest", module({section(1, leb(1) + bytes({0x4e, 1, 0x4e, 0}))}),
     "type section at offset 0xd: unknown type form 0x4e"},
    {"sub type of a sub type", module({section(1, leb(1) + bytes({0x50, 0, 0x50, 0, 0x5f, 0}))}),
     "type section at offset 0xd: unknown type form 0x50"},
    {"memory section limits flags", module({section(5, leb(1) + bytes({0x08, 1}))}),
     "memory section at offset 0xb: unknown memory limits flags 0x08"},
    {"memory section maximum cut short", module({section(5, leb(1) + bytes({1, 1}))}),
     "memory section at offset 0xd: limits maximum runs past section end"},
    {"tag section attribute", module({section(13, leb(1) + bytes({1, 0}))}),
     "tag section at offset 0xb: tag attribute must be 0, got 0x01"},
    {"import module name not UTF-8", module({section(2, leb(1) + name("\xed\xa0\x80") + name("x") + bytes({0, 0}))}),
     "import section at offset 0xc: import module name is not valid UTF-8"},
    {"import name not UTF-8", module({section(2, leb(1) + name("env") + name("\xf5") + bytes({0, 0}))}),
     "import section at offset 0x10: import name is not valid UTF-8"},
    {"import kind far out of range", module({import_entry(bytes({0x80, 0}))}),
     "import section at offset 0x11: unknown import \"env\".\"x\" kind 0x80"},
    {"export kind far out of range", module({section(7, leb(1) + name("e") + bytes({0xff, 0}))}),
     "export section at offset 0xd: unknown export \"e\" kind 0xff"},
    {"table limits flags", module({import_entry(bytes({1, 0x70, 0x81, 0}))}),
     "import section at offset 0x13: unknown table limits flags 0x81"},
};

}  // namespace

TEST_CASE("hostile inputs fail with located invalid_input errors") { check_rejected(hostile_cases); }

TEST_CASE("section framing: unknown ids, order, duplicates and custom section names") { check_rejected(framing_cases); }

TEST_CASE("counts a section cannot hold are rejected, nested ones included") { check_rejected(count_cases); }

TEST_CASE("LEB128: overlong, overflowing and truncated encodings in every section") { check_rejected(leb_cases); }

TEST_CASE("sections are consumed exactly: no empty bodies, no trailing bytes") { check_rejected(consumed_cases); }

TEST_CASE("function and code, data count and data lengths must agree") { check_rejected(paired_count_cases); }

TEST_CASE("type, memory, tag, import and export sections are parsed strictly") { check_rejected(strict_section_cases); }

TEST_CASE("a header followed by megabytes of zeros fails at the first section") {
  // Zeros read as a custom section (id 0) of size 0, which has no room for its name.
  const std::string zeros = header + std::string(64u << 20, '\0');
  try {
    read_module(zeros);
    FAIL("accepted a header followed by zeros");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "wasm module: custom section at offset 0xa: custom section name length runs past "
          "section end");
  }
}

TEST_CASE("many tiny custom sections cost work in proportion to their bytes") {
  // Each is a valid custom section with an empty name (00 01 00): accepted, one pass.
  std::string input = header;
  for (int i = 0; i < 100000; ++i) input += bytes({0, 1, 0});
  CHECK(read_module(input).imports.empty());
}

TEST_CASE("a module using every section is accepted") {
  // Types: a func type with a (ref null 0) parameter padded to two bytes and a funcref result,
  // a struct of a mutable i8 and a (ref 0), an array of i16, and a recursion group of a
  // struct with supertype 0 and a final func type.
  const std::string types = leb(4) + bytes({0x60, 2, 0x7f, 0x63, 0x80, 0x00, 1, 0x70}) +
                            bytes({0x5f, 2, 0x78, 1, 0x64, 0x00, 0}) + bytes({0x5e, 0x77, 1}) +
                            bytes({0x4e, 2, 0x50, 1, 0, 0x5f, 0, 0x4f, 0, 0x60, 0, 0});
  const auto input = module({
      section(0, name("first")),
      section(1, types),
      section(2, leb(1) + name("env") + name("f") + bytes({0, 0})),
      section(3, bytes({0x81, 0x80, 0x80, 0x80, 0}) + leb(0)),  // one function, padded count
      section(4, leb(1) + bytes({0x70, 0, 1})),
      section(5, leb(1) + bytes({1, 1, 2})),
      section(13, leb(1) + bytes({0, 0})),
      section(6, leb(1) + bytes({0x7f, 0, 0x41, 0, 0x0b})),
      section(7, leb(1) + name("run") + bytes({0, 1})),
      section(8, leb(1)),
      section(9, leb(0)),
      section(12, leb(1)),
      section(0, name("between")),
      section(10, leb(1) + bytes({2, 0, 0x0b})),
      section(11, leb(1) + bytes({1, 2}) + "hi"),
      section(0, name("vendor.blob") + "any bytes \xff\xfe"),
  });
  const auto info = read_module(input);
  REQUIRE(info.imports.size() == 1);
  REQUIRE(info.exports.size() == 1);
  CHECK(info.exports[0].name == "run");
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
  // Custom sections anywhere (one with an empty name), padded LEB128, memory64 limits above
  // 2^32, shared memory.
  const auto input = header + section(0, name("first") + "data") + section(2, leb(0)) + section(0, name("")) +
                     bytes({7, 0x81, 0x80, 0x80, 0x80, 0}) + leb(0) + section(0, name("last"));
  CHECK(read_module(input).exports.empty());

  const auto memories = module({section(2, leb(2) + name("env") + name("big") + bytes({2, 5}) + leb(1ull << 40) +
                                               leb(1ull << 48) + name("env") + name("shared") + bytes({2, 3, 1, 2}))});
  const auto info = read_module(memories);
  REQUIRE(info.imports.size() == 2);
  CHECK(info.imports[1].name == "shared");

  const auto empty = read_module(header);
  CHECK(empty.imports.empty());
  CHECK(empty.abi == wasme::wasm::ProxyAbi::none);
}

namespace {

std::uint64_t read_leb(const std::string& m, std::size_t& pos) {
  std::uint64_t value = 0;
  for (unsigned shift = 0;; shift += 7) {
    const auto b = static_cast<unsigned char>(m[pos++]);
    value |= std::uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return value;
  }
}

// Offsets where a module may legally end: after the header and after each section, except
// while a function section with entries still waits for its code section, or a data count
// for its data section.
std::set<std::size_t> section_ends(const std::string& m) {
  std::set<std::size_t> ends{8};
  std::size_t pos = 8;
  bool awaiting_code = false;
  bool awaiting_data = false;
  while (pos < m.size()) {
    const auto id = static_cast<unsigned char>(m[pos++]);
    const std::uint64_t size = read_leb(m, pos);
    std::size_t body = pos;
    if (id == 3) awaiting_code = read_leb(m, body) != 0;
    if (id == 10) awaiting_code = false;
    if (id == 12) awaiting_data = read_leb(m, body) != 0;
    if (id == 11) awaiting_data = false;
    pos += size;
    if (!awaiting_code && !awaiting_data) ends.insert(pos);
  }
  return ends;
}

}  // namespace

TEST_CASE("every truncation of a valid module throws Error unless it ends on a section") {
  for (const char* file : {"abi_0_2_1.wasm", "istio_1_4.wasm", "all_import_kinds.wasm", "clang_filter.wasm"}) {
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
