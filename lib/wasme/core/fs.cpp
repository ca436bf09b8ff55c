#include "wasme/core/fs.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "wasme/core/error.hpp"

namespace wasme {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Unique per process as well as per call: children forked from one parent share the
// generator's state, so the pid is part of the name.
std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d-%016llx", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

void fsync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::string read_file(const fs::path& path, std::uint64_t max_size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ErrorKind kind = fs::exists(path) ? ErrorKind::io : ErrorKind::not_found;
    throw Error(kind, "reading " + path.string() + ": " + errno_text());
  }
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (!ec && size > max_size) {
    throw Error(ErrorKind::invalid_input, "reading " + path.string() + ": file is " +
                                              format_size(size) + ", larger than the limit of " +
                                              format_size(max_size));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file_atomic(const fs::path& path, std::string_view content, unsigned mode,
                       Durability durability) {
  AtomicFile file(path, mode);
  file.write(content);
  file.commit(durability);
}

AtomicFile::AtomicFile(const fs::path& final_path, unsigned mode) : final_path_(final_path) {
  // Errors name the file the user asked for, not the temp file next to it.
  std::error_code ec;
  if (final_path.empty() || final_path.filename().empty() || fs::is_directory(final_path, ec)) {
    throw Error(ErrorKind::invalid_input, "writing " + final_path.string() + ": it is a directory",
                "give the path of a file");
  }
  fs::path dir = final_path.parent_path().empty() ? fs::path(".") : final_path.parent_path();
  temp_path_ = dir / (std::string(temp_file_prefix) + final_path.filename().string() + "-" +
                      random_suffix());
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd_ < 0) {
    int saved = errno;
    if (saved == ENOENT) {
      throw Error(ErrorKind::io, "writing " + final_path.string() + ": the directory " + dir.string() +
                                     " does not exist");
    }
    throw Error(ErrorKind::io, "writing " + final_path.string() + ": " + std::strerror(saved));
  }
  ::fchmod(fd_, mode);  // umask must not widen or narrow what the caller asked for
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::io, "writing " + temp_path_.string() + ": " + errno_text());
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    written_ += static_cast<std::uint64_t>(n);
  }
  start_writeback();
}

// commit() fsyncs, and an fsync of a large file that was all still in the page cache waits
// for the whole file to reach the disk (about 0.9 s for 256 MiB here). Asking the kernel to
// start writing every few MiB as the bytes arrive overlaps that with the download, so the
// final fsync has little left to do. Only a hint: failures are ignored.
void AtomicFile::start_writeback() {
#ifdef SYNC_FILE_RANGE_WRITE
  constexpr std::uint64_t step = 8u << 20;
  if (written_ - writeback_started_ < step) return;
  ::sync_file_range(fd_, static_cast<off64_t>(writeback_started_),
                    static_cast<off64_t>(written_ - writeback_started_), SYNC_FILE_RANGE_WRITE);
  writeback_started_ = written_;
#endif
}

void AtomicFile::commit(Durability durability) {
  if (durability == Durability::fsync && ::fsync(fd_) != 0) {
    throw Error(ErrorKind::io, "syncing " + temp_path_.string() + ": " + errno_text());
  }
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw Error(ErrorKind::io, "closing " + temp_path_.string() + ": " + errno_text());
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    throw Error(ErrorKind::io, "renaming " + temp_path_.string() + " to " + final_path_.string() +
                                   ": " + errno_text());
  }
  committed_ = true;
  if (durability == Durability::fsync) fsync_directory(final_path_.parent_path());
}

FileLock::FileLock(const fs::path& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(ErrorKind::io, "opening lock " + path.string() + ": " + errno_text());
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int saved = errno;
    ::close(fd_);
    throw Error(ErrorKind::io, "locking " + path.string() + ": " + std::strerror(saved));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

TempDir::TempDir(std::string_view prefix) {
  fs::path tmpl = fs::temp_directory_path() / (std::string(prefix) + "XXXXXX");
  std::string buf = tmpl.string();
  if (::mkdtemp(buf.data()) == nullptr) {
    throw Error(ErrorKind::io, "creating a temp dir in " + tmpl.parent_path().string() + ": " +
                                   errno_text());
  }
  path_ = buf;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path home_dir() {
  if (const char* home = std::getenv("HOME"); home && *home) return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  throw Error(ErrorKind::io, "cannot find the home directory", "set HOME");
}

fs::path wasme_home() {
  if (const char* dir = std::getenv("WASME_HOME"); dir && *dir) return dir;
  return home_dir() / ".wasme";
}

std::string format_size(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
  }
  return buf;
}

}  // namespace wasme
