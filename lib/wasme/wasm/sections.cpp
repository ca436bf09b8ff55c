#include "wasme/wasm/sections.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <string_view>

namespace wasme::wasm {
namespace {

// Position of each known section id in the required order (0: custom, may go anywhere).
constexpr int section_rank[14] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};

constexpr const char* section_names[14] = {"custom", "type",  "import",  "function", "table", "memory",     "global",
                                           "export", "start", "element", "code",     "data",  "data count", "tag"};

// Smallest encodings: names of length 0, a kind byte, a one-byte descriptor or index.
constexpr std::size_t min_import_size = 4;
constexpr std::size_t min_export_size = 3;
// A struct with no fields (5f 00) or an empty recursion group (4e 00).
constexpr std::size_t min_type_size = 2;
// Limits flags and a one-byte minimum.
constexpr std::size_t min_memory_size = 2;
// Attribute and a one-byte type index.
constexpr std::size_t min_tag_size = 2;

std::string hex_byte(std::uint8_t b) {
  static constexpr char digits[] = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 0xf];
}

bool is(std::uint8_t id, SectionId known) { return id == static_cast<std::uint8_t>(known); }

// "1 function body", "2 function bodies".
std::string counted(std::uint32_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void expect_end(Reader& r, std::string_view after, std::uint64_t beyond = 0) {
  const std::uint64_t left = r.remaining() + beyond;
  if (left != 0) {
    r.fail(r.offset(), byte_count(left) + " of trailing data after " + std::string(after));
  }
}

enum class LimitsOf { table, memory };

// Limits flags: bit 0 has-maximum, bit 1 shared (threads), bit 2 64-bit (memory64/table64).
void skip_limits(Reader& r, LimitsOf of) {
  const std::uint64_t at = r.offset();
  const std::uint8_t flags = r.byte("limits flags");
  const unsigned allowed = of == LimitsOf::memory ? 0x07u : 0x05u;
  if (flags & ~allowed) {
    r.fail(at, std::string("unknown ") + (of == LimitsOf::memory ? "memory" : "table") + " limits flags " +
                   hex_byte(flags));
  }
  const bool is64 = flags & 0x04u;
  is64 ? r.u64("limits minimum") : r.u32("limits minimum");
  if (flags & 0x01u) is64 ? r.u64("limits maximum") : r.u32("limits maximum");
}

// The one-byte abstract heap types, exn (0x69) to noexn (0x74): func, extern, any, eq, i31,
// struct, array, none, nofunc, noextern and the exception-handling ones.
bool is_abstract_heap_type(std::uint8_t code) { return code >= 0x69 && code <= 0x74; }

// After ref/ref null: an abstract heap type in one byte, or a type index as an s33 that must
// not be negative. A negative value in more than one byte is no abstract type either: the
// spec matches those by their single byte.
void skip_heap_type(Reader& r) {
  const std::uint64_t at = r.offset();
  const std::int64_t value = r.s33("heap type");
  if (value >= 0) return;
  const auto single = static_cast<std::uint8_t>(value + 0x80);
  if (r.offset() - at == 1 && is_abstract_heap_type(single)) return;
  r.fail(at, "unknown heap type " + std::to_string(value));
}

// A reference type: one-byte shorthands, or ref/ref null (0x64/0x63) with a heap type.
bool skip_reftype_after(Reader& r, std::uint8_t code) {
  if (code == 0x63 || code == 0x64) {
    skip_heap_type(r);
    return true;
  }
  return is_abstract_heap_type(code);
}

// v128 f64 f32 i64 i32, or a reference type.
bool skip_valtype_after(Reader& r, std::uint8_t code) {
  return (code >= 0x7b && code <= 0x7f) || skip_reftype_after(r, code);
}

void skip_valtype(Reader& r, const std::string& what) {
  const std::uint64_t at = r.offset();
  const std::uint8_t code = r.byte(what);
  if (!skip_valtype_after(r, code)) r.fail(at, "unknown " + what + " " + hex_byte(code));
}

void skip_reftype(Reader& r) {
  const std::uint64_t at = r.offset();
  const std::uint8_t code = r.byte("table element type");
  if (!skip_reftype_after(r, code)) r.fail(at, "unknown table element type " + hex_byte(code));
}

void skip_mutability(Reader& r, const std::string& of) {
  const std::uint64_t at = r.offset();
  const std::uint8_t mut = r.byte(of + " mutability");
  if (mut > 1) r.fail(at, of + " mutability must be 0 or 1, got " + hex_byte(mut));
}

void skip_global_type(Reader& r) {
  skip_valtype(r, "global value type");
  skip_mutability(r, "global");
}

void skip_tag_type(Reader& r) {
  const std::uint64_t at = r.offset();
  const std::uint8_t attribute = r.byte("tag attribute");
  if (attribute != 0) r.fail(at, "tag attribute must be 0, got " + hex_byte(attribute));
  r.u32("tag type index");
}

// A vector of value types (parameters or results).
void skip_result_type(Reader& r, const std::string& of) {
  const std::uint32_t n = r.count(of + " count", 1);
  for (std::uint32_t i = 0; i < n; ++i) skip_valtype(r, of);
}

// A struct or array field: a value type or a packed i8 (0x78) / i16 (0x77), then mutability.
void skip_field_type(Reader& r) {
  const std::uint64_t at = r.offset();
  const std::uint8_t code = r.byte("field type");
  if (code != 0x78 && code != 0x77 && !skip_valtype_after(r, code)) {
    r.fail(at, "unknown field type " + hex_byte(code));
  }
  skip_mutability(r, "field");
}

// func (0x60), struct (0x5f) or array (0x5e), whose form byte at `at` was already read.
void skip_composite_type(Reader& r, std::uint8_t form, std::uint64_t at) {
  switch (form) {
    case 0x60:
      skip_result_type(r, "parameter type");
      skip_result_type(r, "result type");
      return;
    case 0x5f: {
      const std::uint32_t n = r.count("struct field count", 2);
      for (std::uint32_t i = 0; i < n; ++i) skip_field_type(r);
      return;
    }
    case 0x5e: skip_field_type(r); return;
    default: r.fail(at, "unknown type form " + hex_byte(form));
  }
}

// sub (0x50) / sub final (0x4f) with supertype indices, or a bare composite type.
void skip_sub_type(Reader& r, std::uint8_t form, std::uint64_t at) {
  if (form == 0x50 || form == 0x4f) {
    const std::uint32_t n = r.count("supertype count", 1);
    for (std::uint32_t i = 0; i < n; ++i) r.u32("supertype index");
    at = r.offset();
    form = r.byte("type form");
  }
  skip_composite_type(r, form, at);
}

// A recursion group (0x4e) of sub types, or a single sub type. Groups do not nest, so this
// recursion is at most three calls deep whatever the input.
void skip_rec_type(Reader& r) {
  std::uint64_t at = r.offset();
  const std::uint8_t form = r.byte("type form");
  if (form != 0x4e) {
    skip_sub_type(r, form, at);
    return;
  }
  const std::uint32_t n = r.count("recursion group size", min_type_size);
  for (std::uint32_t i = 0; i < n; ++i) {
    at = r.offset();
    skip_sub_type(r, r.byte("type form"), at);
  }
}

std::uint32_t parse_type_section(Reader& r) {
  const std::uint32_t n = r.count("type count", min_type_size);
  for (std::uint32_t i = 0; i < n; ++i) skip_rec_type(r);
  expect_end(r, "the last type");
  return n;
}

std::uint32_t parse_function_section(Reader& r) {
  const std::uint32_t n = r.count("function count", 1);
  for (std::uint32_t i = 0; i < n; ++i) r.u32("function type index");
  expect_end(r, "the last function");
  return n;
}

std::uint32_t parse_memory_section(Reader& r) {
  const std::uint32_t n = r.count("memory count", min_memory_size);
  for (std::uint32_t i = 0; i < n; ++i) skip_limits(r, LimitsOf::memory);
  expect_end(r, "the last memory");
  return n;
}

std::uint32_t parse_tag_section(Reader& r) {
  const std::uint32_t n = r.count("tag count", min_tag_size);
  for (std::uint32_t i = 0; i < n; ++i) skip_tag_type(r);
  expect_end(r, "the last tag");
  return n;
}

// The start and data count sections hold one u32 each, not a vector.
std::uint32_t parse_single_index(Reader& r, const std::string& what) {
  const std::uint32_t value = r.u32(what);
  expect_end(r, "the " + what);
  return value;
}

ExternalKind read_kind(Reader& r, const std::string& subject) {
  const std::uint64_t at = r.offset();
  const std::uint8_t kind = r.byte(subject + " kind");
  if (kind > static_cast<std::uint8_t>(ExternalKind::tag)) {
    r.fail(at, "unknown " + subject + " kind " + hex_byte(kind));
  }
  return static_cast<ExternalKind>(kind);
}

// How many of n items to reserve: never more bytes than the section holds, so a count
// backed by junk costs no more memory than the junk itself.
template <class T>
std::size_t reservable(const Reader& r, std::uint32_t n) {
  return std::min<std::size_t>(n, r.remaining() / sizeof(T));
}

// What opens a section read only in part: the name of its count, and the fewest bytes one
// entry can take, so that the count alone bounds what the section must hold.
struct CountOnly {
  const char* count;
  std::size_t min_item_size;
};

CountOnly count_only_shape(std::uint8_t id) {
  switch (static_cast<SectionId>(id)) {
    // reference type, limits flags, minimum
    case SectionId::table: return {"table count", 3};
    // value type, mutability, the end of an (invalid but well-formed) empty expression
    case SectionId::global: return {"global count", 3};
    // flags 1 or 3, element kind, no indices; or flags 0, an empty expression, no indices
    case SectionId::element: return {"element segment count", 3};
    // body size, no locals, end
    case SectionId::code: return {"function body count", 3};
    // flags 1 (passive), no bytes
    case SectionId::data: return {"data segment count", 2};
    default: return {"entry count", 1};
  }
}

}  // namespace

std::string section_name(std::uint8_t id) {
  if (id < 14) return std::string(section_names[id]) + " section";
  return "section " + std::to_string(id);
}

void SectionOrder::check(std::uint8_t id, std::uint64_t offset, const Reader& reader) {
  // The spec defines no other ids, and a section we cannot name we cannot check either.
  if (id >= 14) {
    reader.fail(offset, section_name(id) + " (unknown id): known sections have ids 0 to 13");
  }
  if (id == 0) return;  // custom sections may appear anywhere, any number of times
  if (first_offset_[id] != 0) {
    reader.fail(offset,
                "duplicate " + section_name(id) + " (the first is at offset " + hex_offset(first_offset_[id]) + ")");
  }
  if (section_rank[id] < last_rank_) {
    reader.fail(offset, section_name(id) + " after " + section_name(last_id_) + ": sections are out of order");
  }
  first_offset_[id] = offset;
  last_rank_ = section_rank[id];
  last_id_ = id;
}

void PairedCounts::record(std::uint8_t id, std::uint32_t n, std::uint64_t at, const Reader& reader) {
  if (is(id, SectionId::function)) functions_ = n;
  if (is(id, SectionId::data_count)) {
    has_data_count_ = true;
    data_count_ = n;
  }
  // Order is checked first, so the function and data count sections are already behind us.
  if (is(id, SectionId::code)) {
    seen_code_ = true;
    if (n != functions_) {
      reader.fail(at, "code section has " + counted(n, "function body", "function bodies") +
                          " but the function section declares " + counted(functions_, "function", "functions"));
    }
  }
  if (is(id, SectionId::data)) {
    seen_data_ = true;
    if (has_data_count_ && n != data_count_) {
      reader.fail(at, "data section has " + counted(n, "segment", "segments") + " but the data count section says " +
                          std::to_string(data_count_));
    }
  }
}

void PairedCounts::check_end(const Reader& reader) const {
  // An absent section counts as an empty one, which must agree too.
  if (!seen_code_ && functions_ != 0) {
    reader.fail(reader.offset(), "the function section declares " + counted(functions_, "function", "functions") +
                                     " but there is no code section");
  }
  if (!seen_data_ && data_count_ != 0) {
    reader.fail(reader.offset(), "the data count section says " + counted(data_count_, "segment", "segments") +
                                     " but there is no data section");
  }
}

bool parsed_whole(std::uint8_t id) {
  switch (static_cast<SectionId>(id)) {
    case SectionId::type:
    case SectionId::import:
    case SectionId::function:
    case SectionId::memory:
    case SectionId::export_:
    case SectionId::start:
    case SectionId::data_count:
    case SectionId::tag: return true;
    default: return false;
  }
}

std::uint32_t parse_section(std::uint8_t id, Reader& r, ModuleInfo& info) {
  switch (static_cast<SectionId>(id)) {
    case SectionId::type: return parse_type_section(r);
    case SectionId::import: return parse_import_section(r, info.imports);
    case SectionId::function: return parse_function_section(r);
    case SectionId::memory: return parse_memory_section(r);
    case SectionId::export_: return parse_export_section(r, info.exports);
    case SectionId::start: return parse_single_index(r, "start function index");
    case SectionId::data_count: return parse_single_index(r, "data count");
    case SectionId::tag: return parse_tag_section(r);
    default: return check_count_only(id, r, 0);
  }
}

std::uint32_t check_count_only(std::uint8_t id, Reader& r, std::uint64_t beyond) {
  const CountOnly shape = count_only_shape(id);
  const std::uint32_t n = r.count(shape.count, shape.min_item_size, beyond);
  if (n == 0) expect_end(r, std::string("the ") + shape.count + " 0", beyond);
  return n;
}

std::uint32_t parse_import_section(Reader& r, std::vector<Import>& imports) {
  const std::uint32_t n = r.count("import count", min_import_size);
  imports.reserve(imports.size() + reservable<Import>(r, n));
  for (std::uint32_t i = 0; i < n; ++i) {
    Import import;
    import.module = r.name("import module name");
    import.name = r.name("import name");
    import.kind = read_kind(r, "import " + quote_name(import.module) + "." + quote_name(import.name));
    switch (import.kind) {
      case ExternalKind::function: r.u32("import type index"); break;
      case ExternalKind::table:
        skip_reftype(r);
        skip_limits(r, LimitsOf::table);
        break;
      case ExternalKind::memory: skip_limits(r, LimitsOf::memory); break;
      case ExternalKind::global: skip_global_type(r); break;
      case ExternalKind::tag: skip_tag_type(r); break;
    }
    imports.push_back(std::move(import));
  }
  expect_end(r, "the last import");
  return n;
}

std::uint32_t parse_export_section(Reader& r, std::vector<Export>& exports) {
  const std::uint32_t n = r.count("export count", min_export_size);
  exports.reserve(exports.size() + reservable<Export>(r, n));
  std::set<std::string, std::less<>> names;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint64_t at = r.offset();
    Export item;
    item.name = r.name("export name");
    item.kind = read_kind(r, "export " + quote_name(item.name));
    r.u32("export index");
    if (!names.insert(item.name).second) {
      r.fail(at, "duplicate export name " + quote_name(item.name));
    }
    exports.push_back(std::move(item));
  }
  expect_end(r, "the last export");
  return n;
}

}  // namespace wasme::wasm
