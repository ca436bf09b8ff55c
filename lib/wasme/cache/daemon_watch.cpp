// The daemon's watch loop: ref file changes, modules that vanished, and prune.
#include "wasme/cache/daemon.hpp"

#include <set>

#include "wasme/core/fs.hpp"

namespace wasme::cache {
namespace {

std::string join(const std::vector<std::string>& items, const std::string& prefix) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + prefix + item;
  return out;
}

}  // namespace

void Daemon::tick() {
  try {
    poll_ref_file();
    check_modules_present();
    if (config_.prune == Prune::remove_unlisted) prune(clock_.now());
    if (!last_watch_error_.empty()) log_("watch: working again");
    last_watch_error_.clear();
  } catch (const std::exception& e) {
    // The directory or file system misbehaves; keep serving and try again next time, and
    // say so once rather than every tick.
    if (last_watch_error_ != e.what()) log_(std::string("watch: ") + e.what());
    last_watch_error_ = e.what();
  }
}

void Daemon::poll_ref_file() {
  if (!ref_file_) return;
  RefFilePoll poll = ref_file_->poll();
  if (poll.event == RefFileEvent::unreadable) {
    log_(poll.error + "; keeping the " + std::to_string(poll.refs.size()) + " ref(s) read before");
    return;
  }
  if (poll.event == RefFileEvent::recovered) log_(ref_file_->path().string() + " is readable again");
  if (poll.event == RefFileEvent::unchanged) return;
  auto refs = valid_refs(merge_refs(poll.refs, config_.refs));
  ListChange change;
  {
    std::lock_guard lock(mutex_);
    change = catalog_.set_listed(refs);
    wake_.notify_all();
  }
  if (change.empty()) return;
  std::string what = join(change.added, "+");
  std::string gone = join(change.removed, "-");
  log_("ref list changed (" + poll.target.string() + "): " + what + (what.empty() || gone.empty() ? "" : ", ") + gone);
}

// A module file deleted behind our back (by a person or a node cleanup) is pulled again.
void Daemon::check_modules_present() {
  std::set<std::string> cached;
  {
    std::lock_guard lock(mutex_);
    for (const auto& s : catalog_.snapshot()) {
      if (s.state == RefState::cached) cached.insert(s.digest.hex());
    }
  }
  for (const auto& hex : cached) {
    auto digest = oci::Digest::from_hex(hex);
    if (dir_.has_module(digest)) continue;
    std::vector<std::string> lost;
    {
      std::lock_guard lock(mutex_);
      lost = catalog_.module_lost(digest);
      wake_.notify_all();
    }
    log_(dir_.module_path(digest).string() + " disappeared" +
         (lost.empty() ? "" : "; pulling " + join(lost, "") + " again"));
  }
}

// Removes what the Pruner says is due (its rules: prune.hpp).
void Daemon::prune(Clock::time_point now) {
  PruneInput input;
  input.on_disk = dir_.modules();
  std::vector<oci::Digest> removed;
  {
    std::lock_guard lock(mutex_);
    input.missing = catalog_.missing();
    input.needed = catalog_.needed_modules();
    for (const auto& [hex, responses] : serving_) input.serving.insert(hex);
    if (!pulls_in_flight_.empty()) input.oldest_pull = *pulls_in_flight_.begin();
    input.next_pull = next_pull_;
    for (const auto& digest : pruner_.due(now, input)) {
      dir_.remove_module(digest);  // under the lock: open_module cannot start meanwhile
      catalog_.module_removed(digest);
      pruner_.forget(digest);
      removed.push_back(digest);
    }
  }
  for (const auto& digest : removed) {
    log_("pruned " + digest.hex() + ": no listed ref has needed it for " + format_duration(config_.prune_grace));
  }
  if (!removed.empty()) save_index();
}

}  // namespace wasme::cache
