#pragma once
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "wasme/cache/catalog.hpp"
#include "wasme/cache/config.hpp"
#include "wasme/cache/fetcher.hpp"
#include "wasme/cache/http_server.hpp"
#include "wasme/cache/module_dir.hpp"
#include "wasme/cache/prune.hpp"
#include "wasme/cache/ref_file.hpp"
#include "wasme/core/clock.hpp"
#include "wasme/core/log.hpp"

namespace wasme::cache {

// How a stop ended: every pull finished or was discarded, or some were still running when
// the grace period ran out (their temp files are removed; the threads are left behind).
struct StopResult {
  int abandoned_pulls = 0;
};

// The node-local cache: keeps DIR/<sha256-hex> filled with the modules of the listed refs
// and serves them over HTTP. Pull workers, the watch loop and HTTP threads share one lock.
// log gets one line per state change. Every wait (backoff, slow pulls, the watch interval,
// GET /<ref>, the stop's grace) is on `clock`, so tests drive time with a FakeClock.
class Daemon : public ModuleSource {
 public:
  Daemon(DaemonConfig config, Fetcher fetcher, Log log, Clock& clock = system_clock());
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Locks and cleans the directory, reads the refs, binds HTTP and starts the pull workers.
  // Throws Error when the cache could not serve (directory, ref file, port).
  void start();
  // Watches the ref file (and prunes) on this thread until stop(), then shuts down.
  StopResult run();
  // One round of the watch loop: the ref file, modules that vanished, prune. run() calls it
  // every interval; tests call it themselves.
  void tick();
  // Asks run() to return; safe from any thread.
  void stop();
  // The bound HTTP port (useful with port 0); 0 when HTTP is off.
  int http_port() const { return http_ ? http_->port() : 0; }
  // Every known ref, for tests and `/images`.
  std::vector<RefStatus> statuses() const;

  std::shared_ptr<OpenModule> open_module(const oci::Digest& digest) override;
  bool serves_module(const oci::Digest& digest) const override;
  std::shared_ptr<OpenModule> pull_and_open(const std::string& ref) override;
  std::vector<std::string> missing(std::size_t* listed_count) const override;
  std::string images_json() const override;

 private:
  void load_existing_modules();
  void worker();
  void pull(const std::string& ref);
  void record_success(const std::string& ref, const FetchedModule& module);
  void record_failure(const std::string& ref, const Error& error);
  FetchedModule fetch_verified(const std::string& ref);
  void poll_ref_file();
  void check_modules_present();
  void prune(Clock::time_point now);
  void save_index();
  StopResult shut_down();

  DaemonConfig config_;
  Fetcher fetcher_;
  Log log_;
  Clock& clock_;
  ModuleDir dir_;
  std::optional<RefFile> ref_file_;
  std::unique_ptr<HttpServer> http_;

  std::string last_watch_error_;            // the watch loop's last error, logged once (watch thread only)
  std::set<std::string> reported_invalid_;  // listed refs that do not parse, logged once each
  // The listed refs that parse; the others are logged (once) and never pulled: no retry can
  // make a malformed reference valid.
  std::vector<std::string> valid_refs(const std::vector<std::string>& refs);
  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;
  Catalog catalog_;
  std::map<std::string, int> serving_;  // module hex -> open responses
  Pruner pruner_;
  std::set<std::uint64_t> pulls_in_flight_;  // their numbers, in start order
  std::uint64_t next_pull_ = 0;
  int busy_ = 0;
  int waiting_requests_ = 0;  // GET /<ref> waiting for their pull
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};
  std::vector<std::thread> workers_;
  std::mutex index_mutex_;  // one index write at a time, in order
};

// Runs a daemon until SIGTERM or SIGINT (which it blocks and waits for), then stops it.
// This is `wasme cache`. When pulls were abandoned the daemon object is deliberately left
// alive for their threads, and the caller should end the process promptly.
StopResult run_until_signal(const DaemonConfig& config, Fetcher fetcher, Log log);

}  // namespace wasme::cache
