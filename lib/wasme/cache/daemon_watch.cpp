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
    if (config_.prune == Prune::remove_unlisted) prune(Clock::now());
    if (!last_watch_error_.empty()) log("watch: working again");
    last_watch_error_.clear();
  } catch (const std::exception& e) {
    // The directory or file system misbehaves; keep serving and try again next time, and
    // say so once rather than every tick.
    if (last_watch_error_ != e.what()) log(std::string("watch: ") + e.what());
    last_watch_error_ = e.what();
  }
}

void Daemon::poll_ref_file() {
  if (!ref_file_) return;
  RefFilePoll poll = ref_file_->poll();
  if (poll.event == RefFileEvent::unreadable) {
    log(poll.error + "; keeping the " + std::to_string(poll.refs.size()) + " ref(s) read before");
    return;
  }
  if (poll.event == RefFileEvent::recovered) log(ref_file_->path().string() + " is readable again");
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
  log("ref list changed (" + poll.target.string() + "): " + what +
      (what.empty() || gone.empty() ? "" : ", ") + gone);
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
    log(dir_.module_path(digest).string() + " disappeared" +
        (lost.empty() ? "" : "; pulling " + join(lost, "") + " again"));
  }
}

// Removes modules that no listed ref needs once they have been unneeded for the grace
// period, skipping any that a response is still reading. A file that appeared during a
// pull may belong to it (renamed, not recorded yet): it waits until every pull that was in
// flight when the file was first seen has finished and been recorded.
void Daemon::prune(Clock::time_point now) {
  auto on_disk = dir_.modules();
  std::vector<oci::Digest> removed;
  {
    std::lock_guard lock(mutex_);
    // A listed ref not pulled yet may need a module already on disk (a new tag for old
    // bytes) that the catalog cannot name until the pull resolves it. Prune waits for such
    // refs, but only for the grace period from when each went missing: a ref that never
    // arrives (a deleted tag) must not keep every old module on the node for ever.
    std::map<std::string, Clock::time_point> missing_since;
    bool waiting = false;
    for (const auto& ref : catalog_.missing()) {
      auto it = missing_since_.find(ref);
      Clock::time_point since = it == missing_since_.end() ? now : it->second;
      missing_since[ref] = since;
      waiting = waiting || now - since < config_.prune_grace;
    }
    missing_since_ = std::move(missing_since);
    if (waiting) return;
    auto needed = catalog_.needed_modules();
    std::map<std::string, Unneeded> still_unneeded;
    for (const auto& digest : on_disk) {
      const std::string& hex = digest.hex();
      if (needed.count(hex)) continue;
      Unneeded seen = unneeded_.emplace(hex, Unneeded{now, next_pull_}).first->second;
      bool recorded = pulls_in_flight_.empty() || *pulls_in_flight_.begin() >= seen.fence;
      if (now - seen.since < config_.prune_grace || !recorded || serving_.count(hex)) {
        still_unneeded[hex] = seen;
        continue;
      }
      dir_.remove_module(digest);  // under the lock: open_module cannot start meanwhile
      catalog_.module_removed(digest);
      removed.push_back(digest);
    }
    unneeded_ = std::move(still_unneeded);
  }
  for (const auto& digest : removed) {
    log("pruned " + digest.hex() + ": no listed ref has needed it for " +
        format_duration(config_.prune_grace));
  }
  if (!removed.empty()) save_index();
}

}  // namespace wasme::cache
