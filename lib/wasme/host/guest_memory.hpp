#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wasme/host/abi_types.hpp"
#include "wasme/host/engine.hpp"

namespace wasme::host {

// The module's linear memory as host functions touch it: every pointer and length the module
// passes is checked against the memory's size (without overflow) before use. A failed check
// is the module's mistake and answers invalid_memory_access, never a host crash.
class GuestMemory {
 public:
  explicit GuestMemory(Instance& instance) : instance_(instance) {}

  // The bytes [ptr, ptr+len), or nullopt when any of them is outside memory.
  std::optional<std::string_view> view(uint64_t ptr, uint64_t len) const;
  bool write(uint64_t ptr, std::string_view bytes);
  bool write_u32(uint64_t ptr, uint32_t value);
  bool write_u64(uint64_t ptr, uint64_t value);
  std::optional<uint32_t> read_u32(uint64_t ptr) const;

  // Copies bytes into memory the module allocates (its malloc / proxy_on_memory_allocate) and
  // stores the address and size at ptr_out and size_out, as the ABI returns data.
  WasmResult return_bytes(std::string_view bytes, uint64_t ptr_out, uint64_t size_out);

  void set_allocator(std::optional<size_t> malloc_handle) { malloc_ = malloc_handle; }

 private:
  Instance& instance_;
  std::optional<size_t> malloc_;
};

// The ABI's serialized header map: u32 count, count × (u32 key size, u32 value size), then
// each key and value followed by a NUL.
std::string serialize_pairs(const Headers& pairs);
// nullopt when the bytes are not a well-formed map (sizes past the end, missing NULs).
std::optional<Headers> parse_pairs(std::string_view bytes);

}  // namespace wasme::host
