#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "wasme/cache/config.hpp"
#include "wasme/oci/digest.hpp"

namespace wasme::cache {

// What prune looks at, gathered by the daemon under its lock.
struct PruneInput {
  std::vector<oci::Digest> on_disk;          // module files in the directory
  std::vector<std::string> missing;          // listed refs not cached yet
  std::set<std::string> needed;              // modules (hex) that listed refs point at
  std::set<std::string> serving;             // modules (hex) a response is still reading
  std::optional<std::uint64_t> oldest_pull;  // the number of the oldest pull in flight
  std::uint64_t next_pull = 0;               // the number the next pull will get
};

// Which module files `--prune` removes, and when. No clocks, threads or files: the daemon
// passes `now` in and holds its lock, so every rule is unit-testable (like Catalog).
//  - A module no listed ref needs is removed once it has been unneeded for the grace period,
//    unless a response is still reading it.
//  - A file that appeared during a pull may belong to it (renamed, not recorded yet): it
//    waits until every pull that was in flight when the file was first seen is recorded.
//  - A listed ref not cached yet may need a module already on disk (a new tag for old bytes)
//    that the catalog cannot name until the pull resolves it: nothing is removed while such a
//    ref waits, but only for the grace period from when it went missing, so a ref that never
//    arrives (a deleted tag) cannot keep every old module on the node for ever.
class Pruner {
 public:
  explicit Pruner(Millis grace) : grace_(grace) {}

  // The modules to remove now. The caller removes them and forgets each; one it could not
  // remove stays due.
  std::vector<oci::Digest> due(Clock::time_point now, const PruneInput& input);
  // The module was removed, or pulled just now: any later unneeded spell starts afresh.
  void forget(const oci::Digest& digest);

 private:
  // A module file nobody needs: since when, and the first pull number started after that.
  struct Unneeded {
    Clock::time_point since;
    std::uint64_t fence = 0;
  };
  Millis grace_;
  std::map<std::string, Unneeded> unneeded_;                // module hex -> first seen unneeded
  std::map<std::string, Clock::time_point> missing_since_;  // listed refs not cached, since when
};

}  // namespace wasme::cache
