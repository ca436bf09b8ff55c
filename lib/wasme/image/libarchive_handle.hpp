#pragma once
#include <archive.h>
#include <archive_entry.h>

#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "wasme/core/error.hpp"

// Small RAII and error helpers around libarchive's C API, shared by the compat tar writer
// and reader. Internal to the image module.
namespace wasme::image {

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using WritePtr = std::unique_ptr<archive, WriteFree>;
using ReadPtr = std::unique_ptr<archive, ReadFree>;
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

// libarchive's message for the last error on a, never null.
inline std::string archive_error(archive* a) {
  const char* text = archive_error_string(a);
  return text ? text : "unknown libarchive error";
}

// Writing must be exact (any warning would mean bytes other than the ones we chose).
inline void check_write(archive* a, int rc, const std::string& what) {
  if (rc != ARCHIVE_OK) throw Error(ErrorKind::io, what + ": " + archive_error(a));
}

// Runs f inside a libarchive callback: exceptions must not unwind through C frames, so they
// are parked in error and the callback reports failure (-1) instead.
template <class F>
la_ssize_t guard_callback(std::exception_ptr& error, F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    error = std::current_exception();
    return -1;
  }
}

// Refuses an archive entry that could land outside a destination or is not plain data: an
// empty, absolute or ".."-climbing name; a hard or symbolic link; a device, FIFO or socket.
// Error(invalid_input) `entry "NAME" …` with hint. Shared by the compat layer and OCI archive
// readers, which face the same hostile tars.
[[noreturn]] inline void refuse_entry(const std::string& name, const std::string& why, const std::string& hint) {
  throw Error(ErrorKind::invalid_input, "entry \"" + name + "\" " + why, hint);
}

inline void check_entry_safe(archive_entry* entry, const std::string& name, const std::string& hint) {
  if (name.empty()) refuse_entry(name, "has an empty name", hint);
  if (name.front() == '/') refuse_entry(name, "has an absolute path", hint);
  for (size_t start = 0; start <= name.size();) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (std::string_view(name).substr(start, end - start) == "..") refuse_entry(name, "climbs out with \"..\"", hint);
    start = end + 1;
  }
  if (const char* target = archive_entry_hardlink(entry)) {
    refuse_entry(name, "is a hard link to \"" + std::string(target) + "\"", hint);
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
    case AE_IFDIR: return;
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      refuse_entry(name, "is a symbolic link to \"" + std::string(target ? target : "") + "\"", hint);
    }
    case AE_IFCHR:
    case AE_IFBLK: refuse_entry(name, "is a device", hint);
    case AE_IFIFO: refuse_entry(name, "is a FIFO", hint);
    case AE_IFSOCK: refuse_entry(name, "is a socket", hint);
    default: refuse_entry(name, "has an unsupported entry type", hint);
  }
}

}  // namespace wasme::image
