#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "wasme/cache/module_dir.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"

namespace fs = std::filesystem;
using wasme::cache::ModuleDir;
using wasme::oci::sha256_of;

namespace {

wasme::oci::Digest put(const ModuleDir& dir, const std::string& bytes) {
  auto digest = sha256_of(bytes);
  std::ofstream(dir.module_path(digest), std::ios::binary) << bytes;
  return digest;
}

}  // namespace

TEST_CASE("only 64 lowercase hex characters name a module") {
  const std::string hex(64, 'a');
  struct Case {
    std::string name;
    bool ok;
  };
  const Case cases[] = {
      {hex, true},
      {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
      {"", false},
      {hex.substr(1), false},
      {hex + "a", false},
      {std::string(63, 'a') + "A", false},
      {std::string(63, 'a') + "g", false},
      {"../" + hex.substr(3), false},
      {"sha256:" + hex.substr(7), false},
      {std::string(63, 'a') + "/", false},
      {".wasme-tmp-" + hex.substr(11), false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(wasme::cache::is_module_name(c.name) == c.ok);
  }
}

TEST_CASE("the directory is created, and modules are listed and verified") {
  ModuleDir dir("a/cache");
  CHECK(fs::is_directory("a/cache"));
  auto one = put(dir, "module one");
  auto two = put(dir, "module two");
  std::ofstream("a/cache/README") << "not a module";
  std::ofstream("a/cache/" + std::string(64, 'A')) << "not a module name";
  auto modules = dir.modules();
  CHECK(modules.size() == 2);
  CHECK(std::count(modules.begin(), modules.end(), one) == 1);
  CHECK(dir.verify(one, 10));
  CHECK_FALSE(dir.verify(one, 11));
  std::ofstream(dir.module_path(two), std::ios::binary) << "module TWO";  // same size, other bytes
  CHECK_FALSE(dir.verify(two, 10));
  CHECK_FALSE(dir.verify(sha256_of("absent"), 6));
  dir.remove_module(two);
  CHECK_FALSE(dir.has_module(two));
}

TEST_CASE("stale temp files are removed, nothing else") {
  ModuleDir dir("cache");
  auto kept = put(dir, "module");
  std::string stale = std::string(wasme::temp_file_prefix) + kept.hex() + "-0123456789abcdef";
  std::ofstream("cache/" + stale) << "half a modu";
  std::ofstream("cache/notes.txt") << "mine";
  auto removed = dir.remove_temp_files();
  CHECK(removed == std::vector<std::string>{stale});
  CHECK_FALSE(fs::exists("cache/" + stale));
  CHECK(fs::exists("cache/notes.txt"));
  CHECK(dir.has_module(kept));
}

TEST_CASE("the index survives a round trip and a damaged one reads as empty") {
  ModuleDir dir("cache");
  CHECK(dir.load_index().empty());
  auto d = sha256_of("x");
  dir.save_index({{"r/x:1", d, 1}, {"r/y@sha256:" + d.hex(), d, 1}});
  auto entries = dir.load_index();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].ref == "r/x:1");
  CHECK(entries[0].digest == d);
  CHECK(entries[0].size == 1);
  struct stat st {};
  REQUIRE(::stat("cache/.wasme-cache-index.json", &st) == 0);
  for (const char* bad :
       {"", "{", "[]", "{\"refs\":{\"r\":{\"digest\":\"md5:x\",\"size\":1}}}", "{\"refs\":{\"r\":{\"digest\":1}}}"}) {
    CAPTURE(bad);
    std::ofstream("cache/.wasme-cache-index.json", std::ios::trunc) << bad;
    CHECK(dir.load_index().empty());
  }
}

TEST_CASE("two caches cannot share a directory") {
  ModuleDir first("cache");
  first.lock();
  ModuleDir second("cache");
  try {
    second.lock();
    FAIL("locked a directory twice");
  } catch (const wasme::Error& e) {
    CHECK(e.kind() == wasme::ErrorKind::io);
    CHECK(std::string(e.what()).find("another wasme cache") != std::string::npos);
  }
}
