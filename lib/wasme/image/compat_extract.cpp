// extract_plugin_wasm (declared in compat_tar.hpp): reading an untrusted compat layer.
#include <optional>
#include <string_view>
#include <vector>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/image/libarchive_handle.hpp"

namespace wasme::image {
namespace {

constexpr size_t chunk_size = 1u << 20;
constexpr std::string_view plugin_name = "plugin.wasm";

const char* const compat_hint =
    "a compat layer holds plugin.wasm (and runtime-config.json) as regular files, "
    "nothing that could land outside";

[[noreturn]] void refuse(const std::string& name, const std::string& why) { refuse_entry(name, why, compat_hint); }

std::string base_name(const std::string& name) {
  size_t slash = name.find_last_of('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string over_limit(std::uint64_t size, std::uint64_t max_size) {
  return "is " + format_size(size) + ", over the limit of " + format_size(max_size);
}

// Copies the current entry's data to out, counting the bytes as they come (the header's size
// is not trusted).
void copy_entry(archive* a, AtomicFile& out, const std::string& name, std::uint64_t max_size) {
  std::vector<char> buf(chunk_size);
  std::uint64_t copied = 0;
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
    if (n < 0) throw Error(ErrorKind::invalid_input, "reading entry \"" + name + "\": " + archive_error(a));
    if (n == 0) return;
    copied += static_cast<std::uint64_t>(n);
    if (copied > max_size) refuse(name, over_limit(copied, max_size));
    out.write(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
}

// Walks the whole archive (so the gzip stream is read and checked to its end), refusing any
// unsafe entry even if it is not plugin.wasm; only plugin.wasm is ever written.
void extract(archive* a, const fs::path& dest, std::uint64_t max_size) {
  std::optional<AtomicFile> out;
  // Other entries (runtime-config.json, directories) may add up to max_size too; beyond that
  // the archive is decompressing far more than a filter needs.
  std::uint64_t other_bytes = 0;
  archive_entry* entry = nullptr;
  for (;;) {
    int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) throw Error(ErrorKind::invalid_input, "reading the archive: " + archive_error(a));
    const char* raw = archive_entry_pathname(entry);
    std::string name = raw ? raw : "";
    check_entry_safe(entry, name, compat_hint);
    auto declared = static_cast<std::uint64_t>(archive_entry_size(entry));
    if (declared > max_size)
      refuse(name, "declares " + format_size(declared) + ", over the limit of " + format_size(max_size));
    bool is_plugin = archive_entry_filetype(entry) == AE_IFREG && base_name(name) == plugin_name;
    if (!is_plugin) {
      other_bytes += declared;
      if (other_bytes > max_size) refuse(name, "brings the archive's other files over " + format_size(max_size));
      if (archive_read_data_skip(a) < ARCHIVE_WARN) {
        throw Error(ErrorKind::invalid_input, "reading entry \"" + name + "\": " + archive_error(a));
      }
      continue;
    }
    if (out) refuse(name, "is a second plugin.wasm; the archive is ambiguous");
    if (!dest.parent_path().empty()) fs::create_directories(dest.parent_path());
    out.emplace(dest, 0644);
    copy_entry(a, *out, name, max_size);
  }
  if (!out) {
    throw Error(ErrorKind::not_found, "no plugin.wasm in the archive",
                "a compat image's last layer must hold plugin.wasm");
  }
  out->commit();
}

}  // namespace

void extract_plugin_wasm(const fs::path& tar_gz, const fs::path& dest, std::uint64_t max_size) {
  with_context("extracting plugin.wasm from " + tar_gz.string(), [&] {
    ReadPtr a(archive_read_new());
    archive_read_support_filter_gzip(a.get());
    archive_read_support_format_tar(a.get());
    if (!fs::exists(tar_gz)) throw Error(ErrorKind::not_found, "the layer file does not exist");
    if (archive_read_open_filename(a.get(), tar_gz.c_str(), 64 * 1024) != ARCHIVE_OK) {
      throw Error(ErrorKind::invalid_input, "opening the archive: " + archive_error(a.get()));
    }
    extract(a.get(), dest, max_size);
  });
}

}  // namespace wasme::image
