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

// Enforces the framing the spec gives sections: ids 0 to 13 only, and known sections at most
// once and in order (custom ones may appear anywhere), so a duplicate import or export
// section cannot shadow the first one.
class SectionOrder {
 public:
  // Throws through reader when section `id` at `offset` is unknown, repeats or comes too late.
  void check(std::uint8_t id, std::uint64_t offset, const Reader& reader);

 private:
  int last_rank_ = 0;
  std::uint8_t last_id_ = 0;
  std::uint64_t first_offset_[14] = {};
};

// The vector lengths the spec ties across sections (binary format, "Modules"): one code entry
// per function section entry, and as many data segments as the data count section says.
class PairedCounts {
 public:
  // Notes the leading count of section `id` (read at `at`); throws through reader when it
  // contradicts a section before it.
  void record(std::uint8_t id, std::uint32_t n, std::uint64_t at, const Reader& reader);
  // Throws through reader (placed at the end of the module) when an earlier count calls for a
  // section that never came.
  void check_end(const Reader& reader) const;

 private:
  std::uint32_t functions_ = 0;
  bool has_data_count_ = false;
  std::uint32_t data_count_ = 0;
  bool seen_code_ = false;
  bool seen_data_ = false;
};

// True for the known sections the walk reads whole and parses to their last byte. The others
// (table, global, element, code, data) hold constant expressions or function bodies, which
// would need an instruction decoder, and code and data are most of a big module: only their
// leading count is read (check_count_only).
bool parsed_whole(std::uint8_t id);

// Parses the whole body of a parsed_whole section, keeping imports and exports in info.
// Returns the section's vector length (for the data count section: the count).
std::uint32_t parse_section(std::uint8_t id, Reader& reader, ModuleInfo& info);

// Checks the count that opens a section read only in part: reader holds the first bytes of
// its body and `beyond` more bytes follow. The count must fit in the section, and an empty
// vector must end it. Returns the count.
std::uint32_t check_count_only(std::uint8_t id, Reader& reader, std::uint64_t beyond);

// Parses a whole import section body; trailing bytes the entries did not use are an error.
// Returns the number of imports.
std::uint32_t parse_import_section(Reader& reader, std::vector<Import>& imports);
// Parses a whole export section body; export names must be unique, as the spec requires.
// Returns the number of exports.
std::uint32_t parse_export_section(Reader& reader, std::vector<Export>& exports);

}  // namespace wasme::wasm
