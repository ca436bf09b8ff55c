// `wasme cache` as a process: the daemon plus SIGTERM/SIGINT handling.
#include <atomic>
#include <string>
#include <thread>

#include "wasme/cache/daemon.hpp"
#include "wasme/core/signals.hpp"

namespace wasme::cache {

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
        log("received " + name + " again; already stopping");
        continue;
      }
      log("received " + name + "; stopping");
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
