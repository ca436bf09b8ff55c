#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wasme::wasm {

// What ends the bytes a Reader sees, named in "exceeds section end" style errors.
enum class Bound { module_end, section_end };

// A cursor over untrusted bytes. Every read is checked against the end of the view, so a
// hostile length or count can neither read past the input nor make us allocate beyond it.
// Errors are Error(invalid_input) "wasm module: <where> at offset 0x1a: <what>", where the
// offset is absolute in the module (base + position) so it matches `wasm-objdump` output.
class Reader {
 public:
  Reader(std::string_view bytes, std::uint64_t base, std::string_view where, Bound bound);

  std::uint8_t byte(std::string_view what);
  // Unsigned LEB128, at most 5 bytes; rejects overlong encodings and values above 2^32-1.
  std::uint32_t u32(std::string_view what);
  // Unsigned LEB128, at most 10 bytes (memory64 limits).
  std::uint64_t u64(std::string_view what);
  // Signed LEB128, at most 5 bytes (heap types); the unused bits of a fifth byte must repeat
  // the sign bit.
  std::int64_t s33(std::string_view what);
  // A length-prefixed name; the length is checked against what remains before allocating.
  std::string name(std::string_view what);
  // A count of items each at least min_item_size bytes long; rejects counts the remaining
  // bytes cannot hold, so callers may reserve() the result safely. `beyond` is for a view that
  // holds only the start of what it reads: that many more bytes lie between its end and the
  // bound, so a count can be checked without reading the items.
  std::uint32_t count(std::string_view what, std::size_t min_item_size, std::uint64_t beyond = 0);

  std::uint64_t offset() const { return base_ + pos_; }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  // Throws the located error for a problem found at absolute offset `at`.
  [[noreturn]] void fail(std::uint64_t at, const std::string& what) const;

 private:
  std::uint64_t leb(std::string_view what, unsigned max_bits);
  std::int64_t sleb(std::string_view what, unsigned max_bits);

  std::string_view bytes_;
  std::size_t pos_ = 0;
  std::uint64_t base_;
  std::string where_;
  Bound bound_;
};

// True when bytes are well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF),
// as the binary format requires of names.
bool is_valid_utf8(std::string_view bytes);

// A name in double quotes with control characters escaped (\x1b), safe to put in messages.
std::string quote_name(std::string_view name);

// "1 byte", "3 bytes".
std::string byte_count(std::uint64_t n);

// "0x1a": how offsets appear in messages.
std::string hex_offset(std::uint64_t offset);

}  // namespace wasme::wasm
