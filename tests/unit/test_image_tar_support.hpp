#pragma once
// Hostile tar archives for the readers of untrusted tars (compat layers, OCI archives).
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>

#include <sys/sysmacros.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace wasme::test {

namespace fs = std::filesystem;

struct Entry {
  Entry(std::string n, std::string d = {}, unsigned t = AE_IFREG, std::string l = {}, bool hard = false)
      : name(std::move(n)), data(std::move(d)), type(t), link(std::move(l)), hardlink(hard) {}
  std::string name;
  std::string data;
  unsigned type;
  std::string link;  // symlink target, or hard link target when hardlink is set
  bool hardlink;
};

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};

// Builds a tar (gzip or plain) the way an attacker could: any names, types and links.
inline fs::path build_tar(const std::vector<Entry>& entries, const fs::path& path, bool gzip) {
  std::unique_ptr<archive, WriteFree> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  if (gzip) archive_write_add_filter_gzip(a.get());
  REQUIRE(archive_write_open_filename(a.get(), path.c_str()) == ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, 0644);
    if (e.hardlink) archive_entry_set_hardlink(entry, e.link.c_str());
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    if (e.type == AE_IFCHR || e.type == AE_IFBLK) archive_entry_set_rdev(entry, makedev(1, 3));
    archive_entry_set_size(entry, e.type == AE_IFREG && !e.hardlink ? e.data.size() : 0);
    REQUIRE(archive_write_header(a.get(), entry) == ARCHIVE_OK);
    if (!e.data.empty()) archive_write_data(a.get(), e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
  REQUIRE(archive_write_close(a.get()) == ARCHIVE_OK);
  return path;
}

inline fs::path build_tar_gz(const std::vector<Entry>& entries, const fs::path& path = "evil.tar.gz") {
  return build_tar(entries, path, true);
}

// Gzips raw bytes (for hand-made tar headers libarchive's writer would not produce).
inline fs::path gzip_bytes(const std::string& bytes, const fs::path& path) {
  std::unique_ptr<archive, WriteFree> a(archive_write_new());
  archive_write_set_format_raw(a.get());
  archive_write_add_filter_gzip(a.get());
  REQUIRE(archive_write_open_filename(a.get(), path.c_str()) == ARCHIVE_OK);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, "raw");
  archive_entry_set_filetype(entry, AE_IFREG);
  REQUIRE(archive_write_header(a.get(), entry) == ARCHIVE_OK);
  archive_write_data(a.get(), bytes.data(), bytes.size());
  archive_entry_free(entry);
  REQUIRE(archive_write_close(a.get()) == ARCHIVE_OK);
  return path;
}

// A ustar header by hand: lets a test declare a size with no data behind it.
inline std::string ustar_header(const std::string& name, std::uint64_t size) {
  std::string h(512, '\0');
  std::memcpy(&h[0], name.data(), name.size());
  std::snprintf(&h[100], 8, "%07o", 0644);
  std::snprintf(&h[108], 8, "%07o", 0);
  std::snprintf(&h[116], 8, "%07o", 0);
  std::snprintf(&h[124], 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(&h[136], 12, "%011o", 0);
  h[156] = '0';
  std::memcpy(&h[257],
              "ustar\0"
              "00",
              8);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);
  return h;
}

// Every path under dir (relative), to prove nothing was written anywhere else.
inline std::set<std::string> tree(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

}  // namespace wasme::test
