#include "wasme/cache/daemon.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "wasme/core/fs.hpp"
#include "wasme/oci/reference.hpp"

namespace wasme::cache {
namespace {

std::string in_quotes(const std::string& ref) { return "\"" + ref + "\""; }

// --concurrency pulls at a time, and as many again beside pulls that have run for
// slow_pull_after: a registry that trickles cannot keep the other refs from being pulled.
PullSlots pull_slots(const DaemonConfig& c) {
  PullSlots slots;
  slots.concurrency = c.concurrency;
  slots.slow_after = c.slow_pull_after;
  slots.max_pulls = c.slow_pull_after.count() > 0 ? 2 * c.concurrency : c.concurrency;
  return slots;
}

}  // namespace

Daemon::Daemon(DaemonConfig config, Fetcher fetcher, Log log, Clock& clock)
    : config_(std::move(config)),
      fetcher_(std::move(fetcher)),
      log_(std::move(log)),
      clock_(clock),
      dir_(config_.directory),
      catalog_(config_.backoff, pull_slots(config_)),
      pruner_(config_.prune_grace) {
  if (config_.concurrency < 1) {
    throw Error(ErrorKind::usage, "--concurrency must be at least 1, got " + std::to_string(config_.concurrency));
  }
  if (config_.ref_file) ref_file_.emplace(*config_.ref_file);
}

Daemon::~Daemon() {
  stop();
  if (http_) http_->stop();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
}

std::vector<std::string> Daemon::valid_refs(const std::vector<std::string>& refs) {
  std::vector<std::string> out;
  for (const auto& ref : refs) {
    try {
      (void)oci::Reference::parse(ref);
      out.push_back(ref);
    } catch (const Error& e) {
      if (reported_invalid_.insert(ref).second) log_("ignoring " + in_quotes(ref) + ": " + e.what());
    }
  }
  return out;
}

void Daemon::start() {
  dir_.lock();
  auto stale = dir_.remove_temp_files();
  if (!stale.empty()) {
    log_("removed " + std::to_string(stale.size()) + " unfinished download(s) left in " + dir_.path().string() +
         " by an earlier run");
  }
  load_existing_modules();
  std::vector<std::string> from_file;
  if (ref_file_) from_file = ref_file_->load();
  auto refs = valid_refs(merge_refs(from_file, config_.refs));
  {
    std::lock_guard lock(mutex_);
    catalog_.set_listed(refs);
  }
  std::string source = ref_file_ ? " from " + ref_file_->path().string() : "";
  log_(std::to_string(refs.size()) + " ref(s) listed" + source + "; " + std::to_string(missing(nullptr).size()) +
       " to pull into " + dir_.path().string());
  if (config_.port) {
    http_ = std::make_unique<HttpServer>(*this, config_.http);
    http_->start(config_.address, *config_.port);
    log_("serving http://" + config_.address + ":" + std::to_string(http_->port()));
  }
  // One thread per pull that may run at once; the catalog decides how many do.
  int threads = pull_slots(config_).max_pulls;
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { worker(); });
}

// Verifies every module already on disk (dropping any whose bytes do not match its name)
// and restores the refs of the previous run's index that still have their module.
void Daemon::load_existing_modules() {
  std::map<std::string, std::uint64_t> good;
  for (const auto& digest : dir_.modules()) {
    std::error_code ec;
    auto size = std::filesystem::file_size(dir_.module_path(digest), ec);
    if (!ec && dir_.verify(digest, size)) {
      good[digest.hex()] = size;
      continue;
    }
    dir_.remove_module(digest);
    log_("removed " + dir_.module_path(digest).string() + ": its content does not match its name");
  }
  std::lock_guard lock(mutex_);
  for (const auto& entry : dir_.load_index()) {
    auto it = good.find(entry.digest.hex());
    if (it != good.end() && it->second == entry.size) catalog_.restore(entry.ref, entry.digest, entry.size);
  }
}

void Daemon::stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  cancel_ = true;
  wake_.notify_all();
}

StopResult Daemon::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    tick();
    lock.lock();
    wait_until(clock_, wake_, lock, clock_.now() + config_.interval, [&] { return stopping_; });
  }
  lock.unlock();
  return shut_down();
}

StopResult Daemon::shut_down() {
  if (http_) http_->stop();
  std::unique_lock lock(mutex_);
  if (busy_ > 0) log_("stopping: discarding " + std::to_string(busy_) + " pull(s) in progress");
  bool idle = wait_until(clock_, wake_, lock, clock_.now() + config_.shutdown_grace, [&] { return busy_ == 0; });
  StopResult result{busy_};
  lock.unlock();
  if (idle) {
    for (auto& t : workers_) t.join();
    workers_.clear();
    log_("stopped");
    return result;
  }
  // The fetcher ignored the cancel flag: make sure its temp files do not outlive us.
  // Its threads stay joinable: the destructor waits for them (run_until_signal never runs it).
  dir_.remove_temp_files();
  log_("stopped; " + std::to_string(result.abandoned_pulls) + " pull(s) did not finish in " +
       format_duration(config_.shutdown_grace) + " and were abandoned");
  return result;
}

void Daemon::worker() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto now = clock_.now();
    auto ref = catalog_.start_next(now);
    if (!ref) {
      // Until a ref is due or a running pull turns slow (max(): never); a finished pull or a
      // list change notifies.
      clock_.wait_until(wake_, lock, catalog_.next_start(now));
      continue;
    }
    ++busy_;
    std::uint64_t number = next_pull_++;
    pulls_in_flight_.insert(number);
    const RefStatus* s = catalog_.find(*ref);
    bool first = s && s->failures == 0;
    lock.unlock();
    if (first) log_("pulling " + in_quotes(*ref));
    pull(*ref);  // records the outcome in the catalog before the pull stops counting
    lock.lock();
    pulls_in_flight_.erase(number);
    --busy_;
    wake_.notify_all();
  }
}

void Daemon::pull(const std::string& ref) {
  try {
    record_success(ref, fetch_verified(ref));
  } catch (const Error& e) {
    record_failure(ref, e);
  } catch (const std::exception& e) {
    record_failure(ref, Error(ErrorKind::io, e.what()));
  }
}

// Calls the fetcher and checks its work: the file is where it belongs, named by its digest,
// with the announced size and bytes that hash to the name. Anything else is removed.
FetchedModule Daemon::fetch_verified(const std::string& ref) {
  FetchedModule module = fetcher_(ref, dir_.path(), cancel_);
  auto expected = dir_.module_path(module.digest);
  if (module.path.filename() != expected.filename() ||
      std::filesystem::absolute(module.path).parent_path() != std::filesystem::absolute(expected).parent_path()) {
    throw Error(ErrorKind::integrity,
                "the module was written to " + module.path.string() + ", not " + expected.string());
  }
  if (!dir_.verify(module.digest, module.size)) {
    dir_.remove_module(module.digest);
    throw Error(ErrorKind::integrity, expected.string() + " does not match " + module.digest.str() + " (" +
                                          std::to_string(module.size) + " bytes); removed it");
  }
  // Envoy runs as another user and reads the file from the shared directory: a module it
  // cannot read is a failed pull (retried), not a cached one.
  if (::chmod(expected.c_str(), 0644) != 0) {
    throw Error(ErrorKind::io,
                "making " + expected.string() + " readable by Envoy (mode 0644): " + std::strerror(errno));
  }
  return module;
}

void Daemon::record_success(const std::string& ref, const FetchedModule& module) {
  int failures = 0;
  {
    std::lock_guard lock(mutex_);
    if (const RefStatus* s = catalog_.find(ref)) failures = s->failures;
    catalog_.mark_cached(ref, module.digest, module.size);
    pruner_.forget(module.digest);
  }
  std::string after = failures ? " after " + std::to_string(failures) + " failed attempt(s)" : "";
  log_("cached " + in_quotes(ref) + " as " + module.digest.hex() + " (" + format_size(module.size) + ")" + after);
  save_index();
}

void Daemon::record_failure(const std::string& ref, const Error& error) {
  std::string retry;
  bool news = false;
  {
    std::lock_guard lock(mutex_);
    news = catalog_.mark_failed(ref, error, clock_.now());
    const RefStatus* s = catalog_.find(ref);
    if (s && s->listed) retry = "; retrying in " + format_duration(config_.backoff.delay(s->failures));
    if (stopping_) return;  // a cancelled pull is not news
  }
  if (news) log_("cannot pull " + in_quotes(ref) + ": " + error.what() + retry);
}

void Daemon::save_index() {
  std::lock_guard index_lock(index_mutex_);
  std::vector<IndexEntry> entries;
  {
    std::lock_guard lock(mutex_);
    for (const auto& s : catalog_.snapshot()) {
      if (s.state == RefState::cached) entries.push_back({s.ref, s.digest, s.size});
    }
  }
  try {
    dir_.save_index(entries);
  } catch (const Error& e) {
    log_(std::string("cannot save the index (refs will be pulled again after a restart): ") + e.what());
  }
}

}  // namespace wasme::cache
