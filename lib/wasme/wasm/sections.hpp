#pragma once
#include <cstdint>
#include <vector>

#include "wasme/wasm/module.hpp"
#include "wasme/wasm/reader.hpp"

namespace wasme::wasm {

// Section ids of the binary format (tag and data_count come from later proposals).
enum class SectionId : std::uint8_t {
  custom = 0,
  type = 1,
  import = 2,
  function = 3,
  table = 4,
  memory = 5,
  global = 6,
  export_ = 7,
  start = 8,
  element = 9,
  code = 10,
  data = 11,
  data_count = 12,
  tag = 13,
};

// "import section", "section 42": names for messages.
std::string section_name(std::uint8_t id);

// Enforces the order the spec gives known sections (custom ones may appear anywhere), so a
// duplicate import or export section cannot shadow the first one.
class SectionOrder {
 public:
  // Throws through reader when section `id` at `offset` repeats or comes too late.
  void check(std::uint8_t id, std::uint64_t offset, const Reader& reader);

 private:
  int last_rank_ = 0;
  std::uint8_t last_id_ = 0;
  std::uint64_t first_offset_[14] = {};
};

// Parses a whole import section body; trailing bytes the entries did not use are an error.
void parse_import_section(Reader& reader, std::vector<Import>& imports);
// Parses a whole export section body; export names must be unique, as the spec requires.
void parse_export_section(Reader& reader, std::vector<Export>& exports);

}  // namespace wasme::wasm
