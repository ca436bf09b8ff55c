#include "wasme/core/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "wasme/core/error.hpp"
#include "wasme/core/unique_fd.hpp"

extern char** environ;

namespace wasme {
namespace {

using Clock = std::chrono::steady_clock;

// Both ends close-on-exec; the child's copies are made by dup2 in the file actions.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw Error(ErrorKind::external, std::string("creating a pipe: ") + std::strerror(errno));
    }
    read.reset(fds[0]);
    write.reset(fds[1]);
  }
};

// A started child, waited for on every path out of run(): run() reaps it itself, and when
// anything throws between posix_spawn and that waitpid (poll failing, memory running out),
// the destructor kills and reaps it, so neither a zombie nor a child still writing into
// pipes nobody reads is left behind.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ <= 0) return;
    kill();
    wait();
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void kill() const { ::kill(pid_, SIGKILL); }
  // Waits for the child to end and returns its waitpid status; it is then reaped.
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions_);
    ::posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

// Sets up one of the child's fds 0/1/2 according to mode.
void route(SpawnSetup& s, int child_fd, OutputMode mode, Pipe* pipe) {
  switch (mode) {
    case OutputMode::capture: ::posix_spawn_file_actions_adddup2(&s.actions_, pipe->write.get(), child_fd); break;
    case OutputMode::inherit: break;
    case OutputMode::to_stderr: ::posix_spawn_file_actions_adddup2(&s.actions_, 2, child_fd); break;
    case OutputMode::discard:
      ::posix_spawn_file_actions_addopen(&s.actions_, child_fd, "/dev/null", O_WRONLY, 0);
      break;
  }
}

std::vector<std::string> child_environment(const ProcessRequest& request) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    auto eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& name : request.unset_env) vars.erase(name);
  for (const auto& [name, value] : request.env) vars[name] = value;
  std::vector<std::string> out;
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Writes to the child's stdin without letting a closed pipe kill us with SIGPIPE.
ssize_t write_no_sigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  ssize_t n = ::write(fd, data, size);
  int saved = errno;
  if (n < 0 && saved == EPIPE && !was_pending) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved;
  return n;
}

// Moves data between us and the child until its pipes close or the deadline passes.
// Returns false on timeout.
bool pump(Pipe* in, std::string_view input, Pipe* out, std::string& out_text, Pipe* err, std::string& err_text,
          std::optional<Clock::time_point> deadline) {
  size_t written = 0;
  if (in) ::fcntl(in->write.get(), F_SETFL, O_NONBLOCK);
  for (;;) {
    std::vector<pollfd> fds;
    if (in && in->write) fds.push_back({in->write.get(), POLLOUT, 0});
    if (out && out->read) fds.push_back({out->read.get(), POLLIN, 0});
    if (err && err->read) fds.push_back({err->read.get(), POLLIN, 0});
    if (fds.empty()) return true;
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) return false;
      wait_ms = static_cast<int>(left.count());
    }
    int ready = ::poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw Error(ErrorKind::external, std::string("poll: ") + std::strerror(errno));
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (in && p.fd == in->write.get()) {
        ssize_t n = write_no_sigpipe(p.fd, input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
          in->write.reset();
        }
        continue;
      }
      Pipe* pipe = (out && p.fd == out->read.get()) ? out : err;
      std::string& text = pipe == out ? out_text : err_text;
      char buf[65536];
      ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n > 0) text.append(buf, static_cast<size_t>(n));
      else if (n == 0 || (errno != EINTR && errno != EAGAIN)) pipe->read.reset();
    }
  }
}

std::string tail(const std::string& text, size_t max_chars) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  if (t.size() <= max_chars) return t;
  return "…" + t.substr(t.size() - max_chars);
}

}  // namespace

std::string ProcessResult::describe() const {
  if (timed_out) return "timed out";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit status " + std::to_string(exit_code);
}

ProcessResult SystemProcessRunner::run(const ProcessRequest& request) {
  if (request.argv.empty()) throw Error(ErrorKind::usage, "running a program: no program given");
  const std::string& program = request.argv[0];
  auto path = find_executable(program);
  if (!path) {
    throw Error(ErrorKind::not_found, "running " + program + ": not found on PATH",
                "install " + program + " or add its directory to PATH");
  }
  std::optional<Pipe> in, out, err;
  if (request.input) in.emplace();
  if (request.out == OutputMode::capture) out.emplace();
  if (request.err == OutputMode::capture) err.emplace();

  SpawnSetup setup;
  if (in) ::posix_spawn_file_actions_adddup2(&setup.actions_, in->read.get(), 0);
  else ::posix_spawn_file_actions_addopen(&setup.actions_, 0, "/dev/null", O_RDONLY, 0);
  route(setup, 1, request.out, out ? &*out : nullptr);
  route(setup, 2, request.err, err ? &*err : nullptr);
  if (request.cwd) ::posix_spawn_file_actions_addchdir_np(&setup.actions_, request.cwd->c_str());
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  ::posix_spawnattr_setsigmask(&setup.attr_, &none);
  ::posix_spawnattr_setsigdefault(&setup.attr_, &defaults);
  ::posix_spawnattr_setflags(&setup.attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args = request.argv;
  std::vector<std::string> env = child_environment(request);
  auto argv = c_strings(args);
  auto envp = c_strings(env);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, path->c_str(), &setup.actions_, &setup.attr_, argv.data(), envp.data());
  if (rc != 0) {
    throw Error(ErrorKind::external, "running " + program + ": " + std::strerror(rc));
  }
  Child child(pid);
  if (in) in->read.reset();
  if (out) out->write.reset();
  if (err) err->write.reset();

  ProcessResult result;
  std::optional<Clock::time_point> deadline;
  if (request.timeout) deadline = Clock::now() + *request.timeout;
  bool finished = pump(in ? &*in : nullptr, request.input.value_or(""), out ? &*out : nullptr, result.out,
                       err ? &*err : nullptr, result.err, deadline);
  if (!finished) {
    child.kill();
    result.timed_out = true;
  }
  const int status = child.wait();
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

ProcessRunner& system_process_runner() {
  static SystemProcessRunner runner;
  return runner;
}

std::optional<std::filesystem::path> find_executable(std::string_view name) {
  auto runnable = [](const std::filesystem::path& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    std::filesystem::path p(name);
    return runnable(p) ? std::optional(p) : std::nullopt;
  }
  const char* path_env = std::getenv("PATH");
  std::string_view dirs = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
    if (runnable(candidate)) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    dirs.remove_prefix(colon + 1);
  }
}

void check_process(const ProcessResult& result, const ProcessRequest& request, const std::string& what) {
  if (result.ok()) return;
  std::string message = what + ": `" + shell_quote(request.argv) + "` failed: " + result.describe();
  if (!result.err.empty()) message += ": " + tail(result.err, 2000);
  throw Error(ErrorKind::external, message).with_exit_status(1);
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !arg.empty() && arg.find_first_not_of(
                                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789_./:=@%+,-") == std::string::npos;
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

}  // namespace wasme
