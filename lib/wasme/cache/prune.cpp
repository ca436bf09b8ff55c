#include "wasme/cache/prune.hpp"

namespace wasme::cache {

std::vector<oci::Digest> Pruner::due(Clock::time_point now, const PruneInput& input) {
  std::map<std::string, Clock::time_point> missing_since;
  bool waiting = false;
  for (const auto& ref : input.missing) {
    auto it = missing_since_.find(ref);
    Clock::time_point since = it == missing_since_.end() ? now : it->second;
    missing_since[ref] = since;
    waiting = waiting || now - since < grace_;
  }
  missing_since_ = std::move(missing_since);
  if (waiting) return {};
  std::map<std::string, Unneeded> still_unneeded;
  std::vector<oci::Digest> due;
  for (const auto& digest : input.on_disk) {
    const std::string& hex = digest.hex();
    if (input.needed.count(hex)) continue;  // needed again: a later unneeded spell starts afresh
    auto it = unneeded_.find(hex);
    Unneeded seen = it == unneeded_.end() ? Unneeded{now, input.next_pull} : it->second;
    still_unneeded[hex] = seen;
    bool recorded = !input.oldest_pull || *input.oldest_pull >= seen.fence;
    if (now - seen.since >= grace_ && recorded && !input.serving.count(hex)) due.push_back(digest);
  }
  unneeded_ = std::move(still_unneeded);  // files gone from disk are forgotten
  return due;
}

void Pruner::forget(const oci::Digest& digest) { unneeded_.erase(digest.hex()); }

}  // namespace wasme::cache
