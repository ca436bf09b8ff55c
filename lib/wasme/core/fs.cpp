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

#include "wasme/core/cleanup.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/unique_fd.hpp"

namespace wasme {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Unique per process as well as per call: children forked from one parent share the
// generator's state, so the pid is part of the name.
std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d-%016llx", static_cast<int>(::getpid()), static_cast<unsigned long long>(rng()));
  return buf;
}

// Makes a rename in dir durable. The rename has happened whatever this finds, so only what
// says it may not survive a crash is an error (EIO, ENOSPC…). A directory we may search but
// not read cannot be opened, and some file systems cannot sync a directory (EINVAL, ENOTSUP):
// they offer no more durability than the rename itself.
void fsync_directory(const fs::path& dir) {
  const fs::path where = dir.empty() ? fs::path(".") : dir;
  UniqueFd fd(::open(where.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return;
  if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != ENOTSUP) {
    throw Error(ErrorKind::io, "syncing the directory " + where.string() + ": " + errno_text());
  }
}

std::string octal_mode(unsigned mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
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
    throw Error(ErrorKind::invalid_input, "reading " + path.string() + ": file is " + format_size(size) +
                                              ", larger than the limit of " + format_size(max_size));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file_atomic(const fs::path& path, std::string_view content, unsigned mode, Durability durability) {
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
  temp_path_ = dir / (std::string(temp_file_prefix) + final_path.filename().string() + "-" + random_suffix());
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd_ < 0) {
    int saved = errno;
    if (saved == ENOENT) {
      throw Error(ErrorKind::io,
                  "writing " + final_path.string() + ": the directory " + dir.string() + " does not exist");
    }
    throw Error(ErrorKind::io, "writing " + final_path.string() + ": " + std::strerror(saved));
  }
  // umask must not widen or narrow what the caller asked for: Envoy, another user, reads the
  // cache's modules; credentials stay 0600. A file system without Unix modes (vfat, some FUSE
  // mounts) refuses with EPERM or ENOTSUP; there its mount options decide, as for any file.
  if (::fchmod(fd_, mode) != 0 && errno != EPERM && errno != ENOTSUP) {
    const int saved = errno;
    ::close(fd_);  // no destructor runs for a constructor that throws
    ::unlink(temp_path_.c_str());
    throw Error(ErrorKind::io,
                "writing " + final_path.string() + ": setting mode " + octal_mode(mode) + ": " + std::strerror(saved));
  }
  cleanup_slot_ = register_temp_path(temp_path_, false);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
  unregister_temp_path(cleanup_slot_);
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
  (void)::sync_file_range(fd_, static_cast<off64_t>(writeback_started_),
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
  // Never rename over what is not a file: a device, FIFO, socket or directory would be
  // replaced (as root, /dev/full once was). A symlink is replaced, not followed.
  struct stat existing {};
  if (::lstat(final_path_.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode) && !S_ISLNK(existing.st_mode)) {
    ::unlink(temp_path_.c_str());
    throw Error(ErrorKind::invalid_input, final_path_.string() + " exists and is not a regular file; not replacing it");
  }
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    throw Error(ErrorKind::io, "renaming " + temp_path_.string() + " to " + final_path_.string() + ": " + errno_text());
  }
  committed_ = true;
  unregister_temp_path(cleanup_slot_);
  cleanup_slot_ = -1;
  if (durability == Durability::fsync) fsync_directory(final_path_.parent_path());
}

namespace {

const char* node_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Writes everything to an open descriptor, through short writes and EINTR.
void write_all(int fd, std::string_view content, const fs::path& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(ErrorKind::io, "writing " + path.string() + ": " + errno_text());
    content.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

UserFileWriter::UserFileWriter(const fs::path& path, unsigned mode) : name_(path.string()) {
  fs::path target = path;
  struct stat st {};
  // Follow symlinks deliberately, a bounded number of times (a loop is an error, not a hang).
  for (int hops = 0; ::lstat(target.c_str(), &st) == 0 && S_ISLNK(st.st_mode); ++hops) {
    if (hops == 40) throw Error(ErrorKind::invalid_input, path.string() + ": too many levels of symbolic links");
    std::error_code ec;
    fs::path next = fs::read_symlink(target, ec);
    if (ec) throw Error(ErrorKind::io, "reading the link " + target.string() + ": " + ec.message());
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  if (::lstat(target.c_str(), &st) != 0) {
    if (errno != ENOENT) throw Error(ErrorKind::io, "writing " + path.string() + ": " + errno_text());
    atomic_ = std::make_unique<AtomicFile>(target, mode);  // a new file
    return;
  }
  if (S_ISREG(st.st_mode)) {
    atomic_ = std::make_unique<AtomicFile>(target, mode);
    return;
  }
  if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
    fd_ = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd_ < 0) throw Error(ErrorKind::io, "opening " + path.string() + ": " + errno_text());
    owns_fd_ = true;
    return;
  }
  throw Error(ErrorKind::invalid_input, "writing " + path.string() + ": it is " + node_kind(st.st_mode),
              "name a file (or /dev/stdout)");
}

UserFileWriter::UserFileWriter(int fd, std::string name) : name_(std::move(name)), fd_(fd) {}

UserFileWriter::~UserFileWriter() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

void UserFileWriter::write(std::string_view bytes) {
  if (atomic_) return atomic_->write(bytes);
  write_all(fd_, bytes, name_);
}

void UserFileWriter::commit() {
  if (atomic_) return atomic_->commit();
  if (!owns_fd_) return;
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error(ErrorKind::io, "closing " + name_ + ": " + errno_text());
}

void write_user_file(const fs::path& path, std::string_view content, unsigned mode) {
  UserFileWriter out(path, mode);
  out.write(content);
  out.commit();
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
  // The pid in the name lets a later run sweep the directory if SIGKILL left it.
  fs::path tmpl = fs::temp_directory_path() / (std::string(prefix) + std::to_string(::getpid()) + "-XXXXXX");
  std::string buf = tmpl.string();
  if (::mkdtemp(buf.data()) == nullptr) {
    throw Error(ErrorKind::io, "creating a temp dir in " + tmpl.parent_path().string() + ": " + errno_text());
  }
  path_ = buf;
  cleanup_slot_ = register_temp_path(path_, true);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
  unregister_temp_path(cleanup_slot_);
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
