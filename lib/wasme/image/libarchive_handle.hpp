#pragma once
#include <archive.h>
#include <archive_entry.h>

#include <exception>
#include <memory>
#include <string>

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
  if (rc != ARCHIVE_OK)
    throw Error(ErrorKind::io, what + ": " + archive_error(a));
}

// Runs f inside a libarchive callback: exceptions must not unwind through C frames, so they
// are parked in error and the callback reports failure (-1) instead.
template <class F> la_ssize_t guard_callback(std::exception_ptr& error, F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    error = std::current_exception();
    return -1;
  }
}

} // namespace wasme::image
