// Measures the largest single allocation while parsing, through a replacement operator new
// (this executable holds only the wasm tests, so the replacement affects nothing else).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>

#include "test_wasm_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/wasm/module.hpp"

namespace {

bool tracking = false;
std::size_t largest = 0;

std::size_t largest_allocation_while(const std::string& input) {
  largest = 0;
  tracking = true;
  try {
    wasme::wasm::read_module(input);
  } catch (const wasme::Error&) {
  }
  tracking = false;
  return largest;
}

}  // namespace

void* operator new(std::size_t size) {
  if (tracking && size > largest) largest = size;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

TEST_CASE("declared counts backed by junk do not drive allocation") {
  using namespace wasm_test;
  struct Case {
    const char* label;
    std::string input;
  };
  // 100000 declared entries over 400 KB of 0xff: the first entry fails; a reserve(count)
  // would ask for 100000 * sizeof(Import) (several MB).
  const std::string junk(400000, '\xff');
  const Case cases[] = {
      {"imports", module({section(2, leb(100000) + junk)})},
      {"exports", module({section(7, leb(100000) + junk)})},
      {"count far beyond the section", module({section(2, leb(0xffffffff))})},
      {"huge name length", module({section(7, leb(1) + leb(0xfffffff0) + "ab")})},
  };
  for (const auto& c : cases) {
    CAPTURE(c.label);
    // Error messages may exceed a tiny input; 4 KiB is still far below what a count implies.
    CHECK(largest_allocation_while(c.input) <= std::max<std::size_t>(c.input.size(), 4096));
  }
}
