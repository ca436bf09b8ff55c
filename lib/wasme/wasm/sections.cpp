#include "wasme/wasm/sections.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <string_view>

namespace wasme::wasm {
namespace {

// Position of each known section id in the required order (0: custom, may go anywhere).
constexpr int section_rank[14] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};

constexpr const char* section_names[14] = {
    "custom", "type",  "import", "function", "table", "memory",     "global",
    "export", "start", "element", "code",    "data",  "data count", "tag"};

// Smallest encodings: names of length 0, a kind byte, a one-byte descriptor or index.
constexpr std::size_t min_import_size = 4;
constexpr std::size_t min_export_size = 3;

std::string hex_byte(std::uint8_t b) {
  static constexpr char digits[] = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 0xf];
}

enum class LimitsOf { table, memory };

// Limits flags: bit 0 has-maximum, bit 1 shared (threads), bit 2 64-bit (memory64/table64).
void skip_limits(Reader& r, LimitsOf of) {
  const std::uint64_t at = r.offset();
  const std::uint8_t flags = r.byte("limits flags");
  const unsigned allowed = of == LimitsOf::memory ? 0x07u : 0x05u;
  if (flags & ~allowed) {
    r.fail(at, std::string("unknown ") + (of == LimitsOf::memory ? "memory" : "table") +
                   " limits flags " + hex_byte(flags));
  }
  const bool is64 = flags & 0x04u;
  is64 ? r.u64("limits minimum") : r.u32("limits minimum");
  if (flags & 0x01u) is64 ? r.u64("limits maximum") : r.u32("limits maximum");
}

// A reference type: one-byte shorthands, or ref/ref null (0x64/0x63) with a s33 heap type.
bool skip_reftype_after(Reader& r, std::uint8_t code) {
  if (code == 0x63 || code == 0x64) {
    const std::uint64_t at = r.offset();
    for (int i = 0;; ++i) {
      if (i == 5) r.fail(at, "heap type: LEB128 encoding longer than 5 bytes");
      if (!(r.byte("heap type") & 0x80u)) return true;
    }
  }
  return code == 0x70 || code == 0x6f || (code >= 0x69 && code <= 0x6e) ||
         (code >= 0x71 && code <= 0x74);
}

void skip_reftype(Reader& r) {
  const std::uint64_t at = r.offset();
  const std::uint8_t code = r.byte("table element type");
  if (!skip_reftype_after(r, code)) r.fail(at, "unknown table element type " + hex_byte(code));
}

void skip_global_type(Reader& r) {
  const std::uint64_t at = r.offset();
  const std::uint8_t code = r.byte("global value type");
  const bool numeric = code >= 0x7b && code <= 0x7f;  // v128 f64 f32 i64 i32
  if (!numeric && !skip_reftype_after(r, code)) {
    r.fail(at, "unknown global value type " + hex_byte(code));
  }
  const std::uint64_t mut_at = r.offset();
  const std::uint8_t mut = r.byte("global mutability");
  if (mut > 1) r.fail(mut_at, "global mutability must be 0 or 1, got " + hex_byte(mut));
}

void skip_tag_type(Reader& r) {
  const std::uint64_t at = r.offset();
  const std::uint8_t attribute = r.byte("tag attribute");
  if (attribute != 0) r.fail(at, "tag attribute must be 0, got " + hex_byte(attribute));
  r.u32("tag type index");
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

void expect_end(Reader& r, const char* last_item) {
  if (!r.at_end()) {
    r.fail(r.offset(), byte_count(r.remaining()) + " of trailing data after the last " + last_item);
  }
}

}  // namespace

std::string section_name(std::uint8_t id) {
  if (id < 14) return std::string(section_names[id]) + " section";
  return "section " + std::to_string(id);
}

void SectionOrder::check(std::uint8_t id, std::uint64_t offset, const Reader& reader) {
  if (id == 0 || id >= 14) return;  // custom and unknown sections are skipped wherever they are
  if (first_offset_[id] != 0) {
    reader.fail(offset, "duplicate " + section_name(id) + " (the first is at offset " +
                            hex_offset(first_offset_[id]) + ")");
  }
  if (section_rank[id] < last_rank_) {
    reader.fail(offset, section_name(id) + " after " + section_name(last_id_) +
                            ": sections are out of order");
  }
  first_offset_[id] = offset;
  last_rank_ = section_rank[id];
  last_id_ = id;
}

void parse_import_section(Reader& r, std::vector<Import>& imports) {
  const std::uint32_t n = r.count("import count", min_import_size);
  imports.reserve(imports.size() + reservable<Import>(r, n));
  for (std::uint32_t i = 0; i < n; ++i) {
    Import import;
    import.module = r.name("import module name");
    import.name = r.name("import name");
    import.kind =
        read_kind(r, "import " + quote_name(import.module) + "." + quote_name(import.name));
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
  expect_end(r, "import");
}

void parse_export_section(Reader& r, std::vector<Export>& exports) {
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
  expect_end(r, "export");
}

}  // namespace wasme::wasm
