#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "test_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"

namespace fs = std::filesystem;

namespace {

// Why write_file_atomic refuses path ("" when it writes it).
std::string write_error(const fs::path& path) {
  return test_support::error_of([&] { wasme::write_file_atomic(path, "content"); });
}

std::size_t entries_in(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("write_file_atomic writes the content with the mode asked for, and no temp file stays") {
  fs::create_directories("out");
  wasme::write_file_atomic("out/f.yaml", "a: 1\n", 0600);
  CHECK(wasme::read_file("out/f.yaml") == "a: 1\n");
  struct stat st {};
  REQUIRE(::stat("out/f.yaml", &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(entries_in("out") == 1);
}

TEST_CASE("AtomicFile errors name the file asked for, never the temp file") {
  fs::create_directories("out");
  CHECK(write_error("out") == "writing out: it is a directory");
  CHECK(write_error("out/") == "writing out/: it is a directory");
  CHECK(write_error("missing/dir/f.yaml") == "writing missing/dir/f.yaml: the directory missing/dir does not exist");
  CHECK(write_error("out/f.yaml").find(wasme::temp_file_prefix) == std::string::npos);
  CHECK(entries_in("out") == 1);  // f.yaml from the last call, nothing else
}

TEST_CASE("an uncommitted AtomicFile leaves nothing behind") {
  fs::create_directories("out");
  {
    wasme::AtomicFile file("out/never.wasm");
    file.write("partial");
    CHECK(entries_in("out") == 1);  // only the temp file
  }
  CHECK(entries_in("out") == 0);
}
