#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace wasme {

namespace fs = std::filesystem;

// Reads a whole file; refuses files larger than max_size (untrusted input stays bounded).
std::string read_file(const fs::path& path, std::uint64_t max_size = 64u << 20);

enum class Durability { fsync, no_fsync };

// Writes content to path through a temp file in the same directory and a rename, so readers
// see the old file or the new one, never a partial one.
void write_file_atomic(const fs::path& path, std::string_view content, unsigned mode = 0644,
                       Durability durability = Durability::fsync);

// Writes a file the user named (--out, --junit, …) as a shell redirection would, but safely:
// a regular file (or a new one) is replaced whole through a temp file and rename; a symlink is
// followed to what it names (the link stays); a character device or FIFO (/dev/stdout,
// /dev/null, a pipe) is written through, never replaced; a directory, block device or socket
// is refused with Error(invalid_input) naming the path.
void write_user_file(const fs::path& path, std::string_view content, unsigned mode = 0644);

class AtomicFile;

// write_user_file in pieces, for output too large to hold in memory (`wasme save -o F`): the
// same rules, decided when it is opened; nothing replaces a regular file until commit(), and
// destroying it uncommitted leaves the old file. Or an open descriptor ("-": stdout) that it
// writes through and never closes.
class UserFileWriter {
 public:
  explicit UserFileWriter(const fs::path& path, unsigned mode = 0644);
  UserFileWriter(int fd, std::string name);
  ~UserFileWriter();
  UserFileWriter(const UserFileWriter&) = delete;
  UserFileWriter& operator=(const UserFileWriter&) = delete;

  void write(std::string_view bytes);
  void commit();
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::unique_ptr<AtomicFile> atomic_;  // a regular or new file
  int fd_ = -1;                         // a device, FIFO or the caller's descriptor
  bool owns_fd_ = false;
};

// A file being written in a directory under a temporary name. commit() renames it into place;
// destroying an uncommitted AtomicFile removes the temp file, so nothing half-written lands.
class AtomicFile {
 public:
  AtomicFile(const fs::path& final_path, unsigned mode = 0644);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view bytes);
  const fs::path& temp_path() const { return temp_path_; }
  const fs::path& final_path() const { return final_path_; }
  // fsyncs, closes and renames over final_path.
  void commit(Durability durability = Durability::fsync);

 private:
  void start_writeback();

  fs::path final_path_;
  fs::path temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  int cleanup_slot_ = -1;                // removed by a signal handler until committed (core/cleanup)
  std::uint64_t written_ = 0;            // bytes written so far
  std::uint64_t writeback_started_ = 0;  // bytes already handed to the disk (start_writeback)
};

// Prefix of every temp file we create, so stale ones can be recognised and removed.
inline constexpr std::string_view temp_file_prefix = ".wasme-tmp-";

// An exclusive advisory lock (flock) on path, created if missing; released on destruction.
class FileLock {
 public:
  explicit FileLock(const fs::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "wasme-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  int cleanup_slot_ = -1;
};

// `~/.wasme` unless WASME_HOME is set.
fs::path wasme_home();
// The user's home directory ($HOME, else the passwd entry).
fs::path home_dir();

// Human-readable size: 1.2 MiB, 512 B.
std::string format_size(std::uint64_t bytes);

}  // namespace wasme
