#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>

#include <sys/sysmacros.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "test_image_tar_support.hpp"
#include "wasme/oci/media_types.hpp"

using namespace wasme;
using namespace wasme::test;
using image::extract_plugin_wasm;
using image::make_compat_image;

namespace {

// A valid module header followed by a custom section of n pseudo-random bytes.
std::string fake_module(size_t n) {
  std::string bytes("asm\1\0\0\0", 8);
  bytes += '\0';  // custom section id
  // LEB128 section size: name length byte + name + payload.
  size_t size = 1 + 4 + n;
  do {
    unsigned char b = size & 0x7f;
    size >>= 7;
    bytes += static_cast<char>(size ? (b | 0x80) : b);
  } while (size);
  bytes += "\4junk";
  std::uint32_t x = 2463534242u;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    bytes += static_cast<char>(x & 0xff);
  }
  return bytes;
}

oci::RuntimeConfig sample_config() {
  oci::RuntimeConfig c;
  c.abi_versions = {"v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f"};
  c.root_ids = {"add_header_root_id"};
  return c;
}

// Every entry of a tar+gzip: name, size, mtime, uid, gid, uname, mode, data.
struct Listed {
  std::string name, uname, gname, data;
  long long mtime;
  long long uid, gid;
  unsigned mode;
};
std::vector<Listed> list_tar_gz(const fs::path& path) {
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_filename(a, path.c_str(), 65536) == ARCHIVE_OK);
  std::vector<Listed> out;
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Listed l{archive_entry_pathname(e),
             archive_entry_uname(e) ? archive_entry_uname(e) : "",
             archive_entry_gname(e) ? archive_entry_gname(e) : "",
             "",
             archive_entry_mtime(e),
             archive_entry_uid(e),
             archive_entry_gid(e),
             archive_entry_mode(e)};
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) l.data.append(buf, static_cast<size_t>(n));
    out.push_back(l);
  }
  archive_read_free(a);
  return out;
}

// The uncompressed bytes of a gzip file (for the diff_id).
std::string gunzip(const fs::path& path) {
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_raw(a);
  REQUIRE(archive_read_open_filename(a, path.c_str(), 65536) == ARCHIVE_OK);
  archive_entry* e = nullptr;
  REQUIRE(archive_read_next_header(a, &e) == ARCHIVE_OK);
  std::string out;
  char buf[65536];
  la_ssize_t n;
  while ((n = archive_read_data(a, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  archive_read_free(a);
  return out;
}

}  // namespace

TEST_CASE("make_compat_image is byte-identical across runs and directories") {
  write_file_atomic("m.wasm", fake_module(3 << 20));
  auto a = make_compat_image("m.wasm", sample_config(), "one");
  auto b = make_compat_image("m.wasm", sample_config(), "two/deeper");
  CHECK(read_file(a.layer_file) == read_file(b.layer_file));
  CHECK(read_file(a.config_file) == read_file(b.config_file));
  CHECK(a.manifest_bytes == b.manifest_bytes);
  CHECK(a.manifest_bytes == a.manifest.serialize());

  // gzip header: magic, deflate, no flags (no file name), mtime 0; nothing after the trailer.
  std::string gz = read_file(a.layer_file);
  REQUIRE(gz.size() > 18);
  CHECK(gz.substr(0, 4) == std::string("\x1f\x8b\x08\x00", 4));
  CHECK(gz.substr(4, 4) == std::string(4, '\0'));
  std::string tar = gunzip(a.layer_file);
  std::uint32_t isize = 0;
  std::memcpy(&isize, gz.data() + gz.size() - 4, 4);  // little-endian host
  CHECK(isize == static_cast<std::uint32_t>(tar.size()));

  // A different module gives a different layer.
  write_file_atomic("n.wasm", fake_module(1000));
  CHECK(read_file(make_compat_image("n.wasm", sample_config(), "three").layer_file) != gz);
}

TEST_CASE("make_compat_image writes the documented tar, config and manifest") {
  std::string module = fake_module(1500);
  write_file_atomic("m.wasm", module);
  auto img = make_compat_image("m.wasm", sample_config(), "work");

  auto entries = list_tar_gz(img.layer_file);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].name == "plugin.wasm");
  CHECK(entries[0].data == module);
  CHECK(entries[1].name == "runtime-config.json");
  CHECK(entries[1].data == sample_config().serialize());
  for (const auto& e : entries) {
    CHECK(e.mtime == 0);
    CHECK(e.uid == 0);
    CHECK(e.gid == 0);
    CHECK(e.uname.empty());
    CHECK(e.gname.empty());
    CHECK((e.mode & 07777) == 0644);
  }

  const auto& m = img.manifest;
  CHECK(m.media_type == oci::media_type::oci_manifest);
  CHECK(m.annotations.at(std::string(oci::annotation::variant)) == "compat");
  CHECK(m.config.media_type == oci::media_type::oci_image_config);
  auto config = oci::sha256_of_file(img.config_file);
  CHECK(m.config.digest == config.digest);
  CHECK(m.config.size == config.size);
  REQUIRE(m.layers.size() == 1);
  CHECK(m.layers[0].media_type == oci::media_type::oci_layer_tar_gzip);
  auto layer = oci::sha256_of_file(img.layer_file);
  CHECK(m.layers[0].digest == layer.digest);
  CHECK(m.layers[0].size == layer.size);

  auto doc = nlohmann::json::parse(read_file(img.config_file));
  CHECK(doc["architecture"] == "wasm");
  CHECK(doc["os"] == "wasip1");
  CHECK(doc["rootfs"]["type"] == "layers");
  CHECK(doc["rootfs"]["diff_ids"][0] == oci::sha256_of(gunzip(img.layer_file)).str());
  CHECK(oci::Manifest::parse(img.manifest_bytes).serialize() == img.manifest_bytes);
}

TEST_CASE("make_compat_image refuses a missing module and leaves no layer behind") {
  CHECK_THROWS_AS(make_compat_image("absent.wasm", sample_config(), "work"), Error);
  CHECK_FALSE(fs::exists("work/compat-layer.tar.gz"));
  for (const auto& e : fs::directory_iterator("work")) FAIL("left behind: " << e.path());
}

TEST_CASE("extract_plugin_wasm round-trips the module through a temp file") {
  std::string module = fake_module((2 << 20) + 12345);  // crosses the chunk size
  write_file_atomic("m.wasm", module);
  auto img = make_compat_image("m.wasm", sample_config(), "work");
  extract_plugin_wasm(img.layer_file, "out/plugin.wasm", 256u << 20);
  CHECK(read_file("out/plugin.wasm") == module);
  CHECK(tree("out") == std::set<std::string>{"plugin.wasm"});
  // Overwrites an existing file atomically.
  write_file_atomic("out/plugin.wasm", "old");
  extract_plugin_wasm(img.layer_file, "out/plugin.wasm", module.size());
  CHECK(read_file("out/plugin.wasm") == module);
}

TEST_CASE("extract_plugin_wasm accepts the shapes docker builds produce") {
  struct Case {
    const char* what;
    std::vector<Entry> entries;
  };
  const std::vector<Case> cases = {
      {"dot-slash name and a directory entry", {{"./", "", AE_IFDIR}, {"./plugin.wasm", "asm-dot"}}},
      {"nested path (Istio matches the base name)", {{"filter/", "", AE_IFDIR}, {"filter/plugin.wasm", "asm-nested"}}},
      {"other files next to it", {{"README", "hi"}, {"plugin.wasm", "asm-other"}, {"runtime-config.json", "{}"}}},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    build_tar_gz(c.entries, "ok.tar.gz");
    extract_plugin_wasm("ok.tar.gz", "dest/plugin.wasm", 1 << 20);
    std::string expected;
    for (const auto& e : c.entries) {
      if (e.name.size() >= 11 && e.name.substr(e.name.size() - 11) == "plugin.wasm") expected = e.data;
    }
    CHECK(read_file("dest/plugin.wasm") == expected);
    CHECK(tree("dest") == std::set<std::string>{"plugin.wasm"});
  }
}

TEST_CASE("extract_plugin_wasm refuses hostile archives and writes nothing") {
  fs::create_directories("victim");
  write_file_atomic("victim/secret", "keep me");
  const std::string abs_target = (fs::current_path() / "victim" / "abs-plugin.wasm").string();
  struct Case {
    const char* what;
    std::vector<Entry> entries;
    const char* message;
    std::uint64_t max_size;
  };
  const std::vector<Case> cases = {
      {"absolute path", {{abs_target, "asm"}}, "absolute path", 1 << 20},
      {"absolute path, other entry", {{"plugin.wasm", "asm"}, {"/etc/x", "y"}}, "absolute path", 1 << 20},
      {"dot-dot", {{"../plugin.wasm", "asm"}}, "climbs out", 1 << 20},
      {"dot-dot inside", {{"a/../../victim/plugin.wasm", "asm"}}, "climbs out", 1 << 20},
      {"symlink named plugin.wasm", {{"plugin.wasm", "", AE_IFLNK, "../victim/secret"}}, "symbolic link", 1 << 20},
      {"symlink then file", {{"link", "", AE_IFLNK, "/etc"}, {"plugin.wasm", "asm"}}, "symbolic link", 1 << 20},
      {"hard link", {{"x", "asm"}, {"plugin.wasm", "", AE_IFREG, "x", true}}, "hard link", 1 << 20},
      {"character device", {{"plugin.wasm", "", AE_IFCHR}}, "device", 1 << 20},
      {"block device", {{"plugin.wasm", "", AE_IFBLK}}, "device", 1 << 20},
      {"fifo", {{"plugin.wasm", "", AE_IFIFO}}, "FIFO", 1 << 20},
      {"oversize module", {{"plugin.wasm", std::string(5000, 'a')}}, "over the limit", 4096},
      {"oversize other files",
       {{"pad", std::string(3000, 'a')}, {"pad2", std::string(3000, 'b')}, {"plugin.wasm", "asm"}},
       "other files over",
       4096},
      {"two plugin.wasm", {{"plugin.wasm", "asm1"}, {"dir/plugin.wasm", "asm2"}}, "second plugin.wasm", 1 << 20},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    build_tar_gz(c.entries);
    auto before = tree(".");
    before.erase("out");
    try {
      extract_plugin_wasm("evil.tar.gz", "out/plugin.wasm", c.max_size);
      FAIL("accepted a hostile archive");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_input);
      CHECK(std::string(e.what()).find(c.message) != std::string::npos);
      CHECK(std::string(e.what()).find("evil.tar.gz") != std::string::npos);
    }
    auto after = tree(".");
    after.erase("out");  // the destination's directory may have been created, but stays empty
    CHECK(after == before);
    if (fs::exists("out")) CHECK(fs::is_empty("out"));
    CHECK(read_file("victim/secret") == "keep me");
    CHECK_FALSE(fs::exists(abs_target));
  }
}

TEST_CASE("extract_plugin_wasm refuses a huge declared size before reading any data") {
  // A header claiming 7 GiB with no data behind it: refused on the header alone.
  gzip_bytes(ustar_header("plugin.wasm", 7ull << 30) + std::string(1024, '\0'), "bomb.tar.gz");
  try {
    extract_plugin_wasm("bomb.tar.gz", "out/plugin.wasm", 256u << 20);
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK(std::string(e.what()).find("declares 7.0 GiB") != std::string::npos);
  }
  CHECK_FALSE(fs::exists("out/plugin.wasm"));

  // Highly compressible data over the limit: refused, nothing left.
  build_tar_gz({{"plugin.wasm", std::string(8 << 20, '\0')}}, "zeros.tar.gz");
  CHECK(fs::file_size("zeros.tar.gz") < 64 * 1024);
  CHECK_THROWS_AS(extract_plugin_wasm("zeros.tar.gz", "out/plugin.wasm", 1 << 20), Error);
  CHECK((!fs::exists("out") || fs::is_empty("out")));
}

TEST_CASE("extract_plugin_wasm: missing plugin, garbage, truncation, missing file") {
  build_tar_gz({{"runtime-config.json", "{}"}}, "none.tar.gz");
  try {
    extract_plugin_wasm("none.tar.gz", "plugin.wasm", 1 << 20);
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
  }

  write_file_atomic("garbage.tar.gz", "this is not an archive at all, not even close");
  CHECK_THROWS_AS(extract_plugin_wasm("garbage.tar.gz", "plugin.wasm", 1 << 20), Error);

  write_file_atomic("m.wasm", fake_module(300000));
  auto img = make_compat_image("m.wasm", sample_config(), "work");
  std::string gz = read_file(img.layer_file);
  write_file_atomic("cut.tar.gz", gz.substr(0, gz.size() / 2));
  write_file_atomic("plugin.wasm", "previous");
  try {
    extract_plugin_wasm("cut.tar.gz", "plugin.wasm", 1 << 20);
    FAIL("accepted a truncated archive");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
  }
  CHECK(read_file("plugin.wasm") == "previous");

  try {
    extract_plugin_wasm("absent.tar.gz", "plugin.wasm", 1 << 20);
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
  }
  for (const auto& e : fs::directory_iterator(".")) {
    CHECK(e.path().filename().string().rfind(std::string(temp_file_prefix), 0) != 0);
  }
}
