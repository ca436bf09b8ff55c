#include "wasme/host/guest_memory.hpp"

#include <cstring>

namespace wasme::host {
namespace {

bool in_bounds(uint64_t ptr, uint64_t len, uint64_t size) { return ptr <= size && len <= size - ptr; }

uint32_t load_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);  // wasm memory is little-endian, as is every host wasme builds for
  return v;
}

void append_u32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }

}  // namespace

std::optional<std::string_view> GuestMemory::view(uint64_t ptr, uint64_t len) const {
  if (!in_bounds(ptr, len, instance_.memory_size())) return std::nullopt;
  if (len == 0) return std::string_view();
  return std::string_view(reinterpret_cast<const char*>(instance_.memory_data() + ptr), len);
}

bool GuestMemory::write(uint64_t ptr, std::string_view bytes) {
  if (!in_bounds(ptr, bytes.size(), instance_.memory_size())) return false;
  if (!bytes.empty()) std::memcpy(instance_.memory_data() + ptr, bytes.data(), bytes.size());
  return true;
}

bool GuestMemory::write_u32(uint64_t ptr, uint32_t value) {
  return write(ptr, std::string_view(reinterpret_cast<const char*>(&value), 4));
}

bool GuestMemory::write_u64(uint64_t ptr, uint64_t value) {
  return write(ptr, std::string_view(reinterpret_cast<const char*>(&value), 8));
}

std::optional<uint32_t> GuestMemory::read_u32(uint64_t ptr) const {
  auto bytes = view(ptr, 4);
  if (!bytes) return std::nullopt;
  return load_u32(bytes->data());
}

WasmResult GuestMemory::return_bytes(std::string_view bytes, uint64_t ptr_out, uint64_t size_out) {
  // Check the out-pointers first: a bad one must not cost an allocation in the module.
  if (!view(ptr_out, 4) || !view(size_out, 4)) return WasmResult::invalid_memory_access;
  if (!malloc_) return WasmResult::internal_failure;
  if (bytes.size() > 0xffffffffu) return WasmResult::bad_argument;
  uint64_t address = 0;
  if (!bytes.empty()) {
    auto result = instance_.call(*malloc_, {bytes.size()});  // may move memory: re-check after
    address = result.empty() ? 0 : static_cast<uint32_t>(result[0]);
    if (address == 0 || !write(address, bytes)) return WasmResult::invalid_memory_access;
  }
  if (!write_u32(ptr_out, static_cast<uint32_t>(address)) ||
      !write_u32(size_out, static_cast<uint32_t>(bytes.size()))) {
    return WasmResult::invalid_memory_access;
  }
  return WasmResult::ok;
}

std::string serialize_pairs(const Headers& pairs) {
  std::string out;
  append_u32(out, static_cast<uint32_t>(pairs.size()));
  for (const auto& [key, value] : pairs) {
    append_u32(out, static_cast<uint32_t>(key.size()));
    append_u32(out, static_cast<uint32_t>(value.size()));
  }
  for (const auto& [key, value] : pairs) {
    out += key;
    out += '\0';
    out += value;
    out += '\0';
  }
  return out;
}

std::optional<Headers> parse_pairs(std::string_view bytes) {
  Headers pairs;
  if (bytes.empty()) return pairs;
  if (bytes.size() < 4) return std::nullopt;
  const uint64_t count = load_u32(bytes.data());
  // Each pair needs 8 bytes of sizes and 2 NULs: a count the bytes cannot hold is a lie.
  if (count > (bytes.size() - 4) / 10) return std::nullopt;
  uint64_t data = 4 + count * 8;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t key_size = load_u32(bytes.data() + 4 + i * 8);
    const uint64_t value_size = load_u32(bytes.data() + 8 + i * 8);
    if (key_size + 1 > bytes.size() - data) return std::nullopt;
    std::string key(bytes.substr(data, key_size));
    data += key_size;
    if (bytes[data++] != '\0') return std::nullopt;
    if (value_size + 1 > bytes.size() - data) return std::nullopt;
    std::string value(bytes.substr(data, value_size));
    data += value_size;
    if (bytes[data++] != '\0') return std::nullopt;
    pairs.emplace_back(std::move(key), std::move(value));
  }
  return pairs;
}

}  // namespace wasme::host
