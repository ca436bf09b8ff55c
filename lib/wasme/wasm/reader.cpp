#include "wasme/wasm/reader.hpp"

#include <algorithm>
#include <cstdio>

#include "wasme/core/error.hpp"

namespace wasme::wasm {
namespace {

const char* bound_name(Bound bound) { return bound == Bound::section_end ? "section end" : "end of module"; }

// Length of the UTF-8 sequence starting with lead byte b, 0 when b cannot start one.
int utf8_sequence_length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;  // continuation byte, overlong lead (c0, c1) or beyond U+10FFFF (f5..ff)
}

}  // namespace

std::string byte_count(std::uint64_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

std::string hex_offset(std::uint64_t offset) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(offset));
  return buf;
}

std::string quote_name(std::string_view name) {
  constexpr std::size_t max_shown = 80;
  std::size_t shown = std::min(name.size(), max_shown);
  auto continuation = [&](std::size_t i) { return (name[i] & 0xc0) == 0x80; };
  while (shown < name.size() && shown > 0 && continuation(shown)) {
    --shown;  // do not cut a UTF-8 sequence in half
  }
  std::string out = "\"";
  char buf[8];
  for (std::size_t i = 0; i < shown; ++i) {
    const auto b = static_cast<unsigned char>(name[i]);
    const auto next = i + 1 < shown ? static_cast<unsigned char>(name[i + 1]) : 0;
    if (b < 0x20 || b == 0x7f || b == '"' || b == '\\') {
      std::snprintf(buf, sizeof buf, "\\x%02x", b);
      out += buf;
    } else if (b == 0xc2 && next >= 0x80 && next <= 0x9f) {  // C1 controls (CSI …)
      std::snprintf(buf, sizeof buf, "\\u%04x", next);
      out += buf;
      ++i;
    } else {
      out += static_cast<char>(b);
    }
  }
  out += "\"";
  if (shown < name.size()) out += "… (" + std::to_string(name.size()) + " bytes)";
  return out;
}

Reader::Reader(std::string_view bytes, std::uint64_t base, std::string_view where, Bound bound)
    : bytes_(bytes), base_(base), where_(where), bound_(bound) {}

void Reader::fail(std::uint64_t at, const std::string& what) const {
  throw Error(ErrorKind::invalid_input,
              "wasm module: " + std::string(where_) + " at offset " + hex_offset(at) + ": " + what,
              "the file is not a valid WebAssembly module; rebuild it, or check that it was "
              "not truncated or altered in transfer");
}

std::uint8_t Reader::byte(std::string_view what) {
  if (at_end()) fail(offset(), std::string(what) + " runs past " + bound_name(bound_));
  return static_cast<std::uint8_t>(bytes_[pos_++]);
}

std::uint64_t Reader::leb(std::string_view what, unsigned max_bits) {
  const std::uint64_t start = offset();
  const unsigned max_bytes = (max_bits + 6) / 7;
  std::uint64_t value = 0;
  for (unsigned i = 0; i < max_bytes; ++i) {
    if (at_end()) fail(start, std::string(what) + " runs past " + bound_name(bound_));
    const auto b = static_cast<std::uint8_t>(bytes_[pos_++]);
    const unsigned shift = 7 * i;
    const std::uint64_t bits = b & 0x7fu;
    if (i + 1 == max_bytes) {
      if (b & 0x80u) {
        fail(start, std::string(what) + ": LEB128 encoding longer than " + std::to_string(max_bytes) + " bytes");
      }
      if (bits >> (max_bits - shift)) {
        fail(start, std::string(what) + ": LEB128 value exceeds " + std::to_string(max_bits) + " bits");
      }
    }
    value |= bits << shift;
    if (!(b & 0x80u)) return value;
  }
  return value;  // not reached: the last byte either ends the number or fails above
}

std::int64_t Reader::sleb(std::string_view what, unsigned max_bits) {
  const std::uint64_t start = offset();
  const unsigned max_bytes = (max_bits + 6) / 7;
  std::uint64_t value = 0;
  for (unsigned i = 0; i < max_bytes; ++i) {
    if (at_end()) fail(start, std::string(what) + " runs past " + bound_name(bound_));
    const auto b = static_cast<std::uint8_t>(bytes_[pos_++]);
    const unsigned shift = 7 * i;
    value |= std::uint64_t{b & 0x7fu} << shift;
    if (i + 1 == max_bytes) {
      if (b & 0x80u) {
        fail(start, std::string(what) + ": LEB128 encoding longer than " + std::to_string(max_bytes) + " bytes");
      }
      // The last byte carries max_bits - shift value bits; the sign bit and all above it must
      // be equal, else the number does not fit in max_bits as a signed value.
      const unsigned high = (b & 0x7fu) >> (max_bits - shift - 1);
      if (high != 0 && high != (0x7fu >> (max_bits - shift - 1))) {
        fail(start, std::string(what) + ": LEB128 value exceeds " + std::to_string(max_bits) + " bits (signed)");
      }
    }
    if (!(b & 0x80u)) {
      if (shift + 7 < 64 && (b & 0x40u)) value |= ~std::uint64_t{0} << (shift + 7);
      return static_cast<std::int64_t>(value);
    }
  }
  return static_cast<std::int64_t>(value);  // not reached: see leb()
}

std::uint32_t Reader::u32(std::string_view what) { return static_cast<std::uint32_t>(leb(what, 32)); }

std::uint64_t Reader::u64(std::string_view what) { return leb(what, 64); }

std::int64_t Reader::s33(std::string_view what) { return sleb(what, 33); }

std::string Reader::name(std::string_view what) {
  const std::uint64_t start = offset();
  const std::uint32_t length = u32(std::string(what) + " length");
  if (length > remaining()) {
    fail(start, std::string(what) + " length " + std::to_string(length) + " exceeds " + bound_name(bound_) + " (" +
                    byte_count(remaining()) + " left)");
  }
  std::string_view bytes = bytes_.substr(pos_, length);
  if (!is_valid_utf8(bytes)) fail(offset(), std::string(what) + " is not valid UTF-8");
  pos_ += length;
  return std::string(bytes);
}

std::uint32_t Reader::count(std::string_view what, std::size_t min_item_size, std::uint64_t beyond) {
  const std::uint64_t start = offset();
  const std::uint32_t n = u32(what);
  const std::uint64_t needed = std::uint64_t{n} * min_item_size;
  const std::uint64_t left = remaining() + beyond;
  if (needed > left) {
    fail(start, std::string(what) + " " + std::to_string(n) + " exceeds " + bound_name(bound_) + " (needs at least " +
                    std::to_string(needed) + " bytes, " + std::to_string(left) + " left)");
  }
  return n;
}

bool is_valid_utf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    const int length = utf8_sequence_length(lead);
    if (length == 0 || bytes.size() - i < static_cast<std::size_t>(length)) return false;
    for (int k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(bytes[i + k]) & 0xc0) != 0x80) return false;
    }
    if (length > 2) {
      const auto second = static_cast<unsigned char>(bytes[i + 1]);
      if (lead == 0xe0 && second < 0xa0) return false;   // overlong 3-byte form
      if (lead == 0xed && second >= 0xa0) return false;  // UTF-16 surrogates
      if (lead == 0xf0 && second < 0x90) return false;   // overlong 4-byte form
      if (lead == 0xf4 && second >= 0x90) return false;  // above U+10FFFF
    }
    i += static_cast<std::size_t>(length);
  }
  return true;
}

}  // namespace wasme::wasm
