// `wasme cache` as a process: the daemon plus SIGTERM/SIGINT handling.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <string>
#include <thread>

#include "wasme/cache/daemon.hpp"

namespace wasme::cache {
namespace {

// Blocks SIGTERM and SIGINT for this thread and the threads it starts, so they arrive only
// where sigtimedwait asks for them; restores the old mask on destruction.
class BlockedSignals {
 public:
  BlockedSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockedSignals() {
    // A second SIGTERM or SIGINT may still be pending; unblocked, it would kill the process
    // with a non-zero status after a clean stop. Take it first.
    timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;

  // Waits up to 200 ms; returns the signal number or 0.
  int wait_briefly() const {
    timespec timeout{0, 200 * 1000 * 1000};
    int sig = sigtimedwait(&set_, nullptr, &timeout);
    return sig > 0 ? sig : 0;
  }

 private:
  sigset_t set_{};
  sigset_t old_{};
};

}  // namespace

StopResult run_until_signal(const DaemonConfig& config, Fetcher fetcher, Log log) {
  BlockedSignals signals;  // before any thread starts, so all of them inherit the mask
  auto daemon = std::make_unique<Daemon>(config, std::move(fetcher), log);
  daemon->start();
  std::atomic<bool> done{false};
  Daemon* d = daemon.get();
  std::thread watcher([&] {
    bool stopping = false;
    while (!done) {
      int sig = signals.wait_briefly();
      if (!sig) continue;
      std::string name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
      if (stopping) {
        if (log) log("received " + name + " again; already stopping");
        continue;
      }
      if (log) log("received " + name + "; stopping");
      stopping = true;
      d->stop();
    }
  });
  StopResult result = daemon->run();
  done = true;
  watcher.join();
  if (result.abandoned_pulls > 0) {
    (void)daemon.release();  // its abandoned threads still use it; the process ends next
  }
  return result;
}

}  // namespace wasme::cache
