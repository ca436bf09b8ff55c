// Pins: what keeps the blobs of an image being put together (build, pull) from remove()'s
// garbage collection until its index entry lands. The protocol is described at BlobPin in
// store.hpp; in short: pin files are created and read only under index.json.lock, each is
// flock'ed by its owner while the owner lives, and one nobody holds is stale.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <utility>

#include "wasme/core/cleanup.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/core/unique_fd.hpp"
#include "wasme/store/index_file.hpp"
#include "wasme/store/store.hpp"

namespace wasme::store {
namespace {

// A pin's more than enough: three digests for a build, a few more for a pull.
constexpr std::size_t max_pin_size = 1u << 20;

// <pid>-<16 hex>: the pid for people looking at the directory; the random part keeps two pins
// of one process (two threads, two images) apart.
std::string pin_name() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%d-%016llx", static_cast<int>(::getpid()), static_cast<unsigned long long>(rng()));
  return buf;
}

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, std::string_view text, const fs::path& path) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(ErrorKind::io, "writing the pin " + path.string() + ": " + errno_text());
    text.remove_prefix(static_cast<size_t>(n));
  }
}

std::string read_all(int fd, const fs::path& path) {
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(ErrorKind::io, "reading the pin " + path.string() + ": " + errno_text());
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_pin_size) {
      throw Error(ErrorKind::io, "reading the pin " + path.string() + ": larger than " + format_size(max_pin_size));
    }
  }
}

}  // namespace

BlobPin::BlobPin(BlobPin&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), cleanup_slot_(other.cleanup_slot_) {
  other.path_.clear();
  other.fd_ = -1;
  other.cleanup_slot_ = -1;
}

BlobPin& BlobPin::operator=(BlobPin&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    cleanup_slot_ = other.cleanup_slot_;
    other.path_.clear();
    other.fd_ = -1;
    other.cleanup_slot_ = -1;
  }
  return *this;
}

BlobPin::~BlobPin() { release(); }

void BlobPin::release() noexcept {
  if (fd_ < 0) return;
  // Unlinked before the close drops the flock, so no one finds this file unlocked while its
  // owner still counts on it. No index lock is needed: the image's entry, if any, landed
  // before this (add_image returned), and a remove() that began later sees that entry.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
  unregister_temp_path(cleanup_slot_);
  cleanup_slot_ = -1;
  path_.clear();
}

BlobPin Store::pin_blobs(const std::vector<oci::Digest>& digests) {
  ensure_layout();  // the blobs are written next anyway; and its errors name the store
  fs::path dir = detail::pins_path(root_);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw Error(ErrorKind::io, "creating " + dir.string() + ": " + ec.message(),
                "check the permissions of the store or pass --store DIR");
  }
  std::string text;
  for (const auto& digest : digests) {
    if (!digest.empty()) text += digest.str() + "\n";
  }
  BlobPin pin;
  // Under the index lock: remove() reads the pins under it too, so it never sees this file
  // before it is locked and written (it would take it for a dead process's).
  FileLock lock(detail::index_lock_path(root_));
  for (int attempt = 1;; ++attempt) {
    pin.path_ = dir / pin_name();
    pin.fd_ = ::open(pin.path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (pin.fd_ >= 0) break;
    // Threads forked from one parent may share the generator's state: draw again.
    if (errno != EEXIST || attempt == 16) {
      throw Error(ErrorKind::io, "creating the pin " + pin.path_.string() + ": " + errno_text());
    }
  }
  pin.cleanup_slot_ = register_temp_path(pin.path_, false);  // removed if a signal ends us
  if (::flock(pin.fd_, LOCK_EX | LOCK_NB) != 0) {
    throw Error(ErrorKind::io, "locking the pin " + pin.path_.string() + ": " + errno_text());
  }
  write_all(pin.fd_, text, pin.path_);
  return pin;
}

namespace detail {

std::set<oci::Digest> pinned_digests(const fs::path& root) {
  std::set<oci::Digest> pinned;
  fs::path dir = pins_path(root);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return pinned;
  fs::directory_iterator it(dir, ec);
  if (ec) throw Error(ErrorKind::io, "listing the pins in " + dir.string() + ": " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) throw Error(ErrorKind::io, "listing the pins in " + dir.string() + ": " + ec.message());
    const fs::path path = it->path();
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file) {
      if (errno == ENOENT) continue;  // released meanwhile: its image's entry is in the index
      throw Error(ErrorKind::io, "opening the pin " + path.string() + ": " + errno_text());
    }
    if (::flock(file.get(), LOCK_SH | LOCK_NB) == 0) {
      // Nobody holds it: its owner died without releasing it (SIGKILL, a crash). Stale.
      ::unlink(path.c_str());
      continue;
    }
    if (errno != EWOULDBLOCK) {
      throw Error(ErrorKind::io, "checking the pin " + path.string() + ": " + errno_text());
    }
    // Held: its owner lives. It wrote the pin whole under the index lock, which we hold now.
    std::string text = read_all(file.get(), path);
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + start, end - start);
      if (!line.empty()) {
        pinned.insert(with_context("reading the pin " + path.string(), [&] { return oci::Digest::parse(line); }));
      }
      start = end + 1;
    }
  }
  return pinned;
}

int sweep_stale_pins(const fs::path& root) {
  fs::path dir = pins_path(root);
  std::error_code ec;
  std::vector<fs::path> gone;  // pins whose process (the pid in the name) no longer exists
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t dash = name.find('-');
    if (dash == 0 || dash == std::string::npos || dash > 9 || name.find_first_not_of("0123456789") != dash) {
      continue;
    }
    const long pid = std::strtol(name.substr(0, dash).c_str(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) gone.push_back(entry.path());
  }
  if (gone.empty()) return 0;  // the common case: no lock taken
  int removed = 0;
  try {
    FileLock lock(index_lock_path(root));
    for (const auto& path : gone) {
      // Still checked by its lock: a pid can be reused, the flock cannot lie.
      UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!file) continue;
      if (::flock(file.get(), LOCK_SH | LOCK_NB) == 0 && ::unlink(path.c_str()) == 0) ++removed;
    }
  } catch (const Error&) {
    // Best effort (a read-only store): remove() ignores stale pins anyway.
  }
  return removed;
}

}  // namespace detail
}  // namespace wasme::store
