#include "wasme/core/cleanup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace wasme {
namespace {

constexpr int kSlots = 256;
struct Slot {
  std::atomic<char*> path{nullptr};
  std::atomic<bool> directory{false};
};
Slot slots[kSlots];

// Removes a directory's entries with raw syscalls only (getdents64, unlinkat): opendir and
// friends may take malloc's lock, which an interrupted thread could hold.
void remove_tree(const char* dir, int depth) {
  int fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;
  alignas(8) char buffer[4096];
  for (;;) {
    long n = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
    if (n <= 0) break;
    for (long offset = 0; offset < n;) {
      auto* entry = reinterpret_cast<struct dirent64*>(buffer + offset);
      offset += entry->d_reclen;
      const char* name = entry->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      if (entry->d_type == DT_DIR && depth < 3) {
        int sub = ::openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (sub >= 0) {
          char path[32];
          // /proc/self/fd/N names the opened directory without building a path string.
          std::strcpy(path, "/proc/self/fd/");
          int v = sub, len = 0;
          char digits[12];
          do {
            digits[len++] = static_cast<char>('0' + v % 10);
            v /= 10;
          } while (v);
          for (int i = 0; i < len; ++i) path[14 + i] = digits[len - 1 - i];
          path[14 + len] = '\0';
          remove_tree(path, depth + 1);
          ::close(sub);
        }
        ::unlinkat(fd, name, AT_REMOVEDIR);
      } else {
        ::unlinkat(fd, name, 0);
      }
    }
  }
  ::close(fd);
}

void on_signal(int sig) {
  for (auto& slot : slots) {  // files first: they may sit in a registered directory
    char* p = slot.path.load();
    if (p && !slot.directory.load()) ::unlink(p);
  }
  for (auto& slot : slots) {
    char* p = slot.path.load();
    if (p && slot.directory.load()) {
      remove_tree(p, 0);
      ::rmdir(p);
    }
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);  // die of the signal, as the shell expects (exit status 128+sig)
}

bool process_gone(long pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

}  // namespace

void install_cleanup_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    ::sigaction(sig, nullptr, &old);
    if (old.sa_handler == SIG_IGN) continue;  // nohup and background jobs keep ignoring it
    ::sigaction(sig, &action, nullptr);
  }
}

int register_temp_path(const std::filesystem::path& path, bool directory) {
  char* copy = ::strdup(path.c_str());  // allocated here: the handler only reads it
  if (!copy) return -1;
  for (int i = 0; i < kSlots; ++i) {
    char* expected = nullptr;
    if (slots[i].path.load() != nullptr) continue;
    slots[i].directory.store(directory);
    if (slots[i].path.compare_exchange_strong(expected, copy)) return i;
  }
  std::free(copy);
  return -1;
}

void unregister_temp_path(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  std::free(slots[slot].path.exchange(nullptr));
}

long pid_in_temp_name(const std::string& name) {
  // "<prefix…>-<pid>-<suffix>": the pid is the second-to-last dash-separated field.
  auto last = name.rfind('-');
  if (last == std::string::npos || last == 0) return 0;
  auto before = name.rfind('-', last - 1);
  if (before == std::string::npos) return 0;
  std::string digits = name.substr(before + 1, last - before - 1);
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::strtol(digits.c_str(), nullptr, 10);
}

int sweep_stale_temp_files(const std::filesystem::path& dir, const std::string& prefix) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || !entry.is_regular_file(ec)) continue;
    if (!process_gone(pid_in_temp_name(name))) continue;
    if (std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

int sweep_stale_temp_dirs() {
  int removed = 0;
  std::error_code ec;
  auto tmp = std::filesystem::temp_directory_path(ec);
  if (ec) return 0;
  for (const auto& entry : std::filesystem::directory_iterator(tmp, ec)) {
    const std::string name = entry.path().filename().string();
    // TempDir names: wasme-…-<pid>-XXXXXX, owned by this user.
    if (name.rfind("wasme-", 0) != 0 || !entry.is_directory(ec) || entry.is_symlink(ec)) continue;
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0 || st.st_uid != ::getuid()) continue;
    if (!process_gone(pid_in_temp_name(name))) continue;
    if (std::filesystem::remove_all(entry.path(), ec) > 0) ++removed;
  }
  return removed;
}

}  // namespace wasme
