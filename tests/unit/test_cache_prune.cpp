// The prune rules with `now` passed in: no daemon, no files, no waiting.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "wasme/cache/prune.hpp"

using namespace std::chrono_literals;
using wasme::cache::Millis;
using wasme::cache::PruneInput;
using wasme::cache::Pruner;
using wasme::oci::Digest;
using Digests = std::vector<Digest>;

namespace {

const wasme::Clock::time_point t0 = wasme::FakeClock().now();
const Millis grace = 10min;

Digest module(const std::string& name) { return wasme::oci::sha256_of(name); }

// Modules a and b on disk; a is what the listed refs need.
PruneInput disk() {
  PruneInput in;
  in.on_disk = {module("a"), module("b")};
  in.needed = {module("a").hex()};
  return in;
}

}  // namespace

TEST_CASE("an unneeded module is due once it has been unneeded for the grace period") {
  Pruner p(grace);
  CHECK(p.due(t0, disk()).empty());  // first seen now
  CHECK(p.due(t0 + grace - 1ms, disk()).empty());
  CHECK(p.due(t0 + grace, disk()) == Digests{module("b")});
  p.forget(module("b"));
  PruneInput after = disk();
  after.on_disk = {module("a")};
  CHECK(p.due(t0 + 2 * grace, after).empty());
}

TEST_CASE("with a zero grace period an unneeded module is due at once") {
  Pruner p(Millis{0});
  CHECK(p.due(t0, disk()) == Digests{module("b")});
}

TEST_CASE("a module a response is reading is never due; it is once released") {
  Pruner p(grace);
  PruneInput served = disk();
  served.serving = {module("b").hex()};
  CHECK(p.due(t0, served).empty());
  CHECK(p.due(t0 + 24h, served).empty());
  CHECK(p.due(t0 + 24h, disk()) == Digests{module("b")});  // unneeded since t0, not since released
}

TEST_CASE("a module needed again starts a new grace period when it is unneeded again") {
  Pruner p(grace);
  CHECK(p.due(t0, disk()).empty());
  PruneInput needed = disk();
  needed.needed.insert(module("b").hex());
  CHECK(p.due(t0 + grace, needed).empty());
  CHECK(p.due(t0 + grace + 1s, disk()).empty());  // unneeded again from here
  CHECK(p.due(t0 + 2 * grace + 1s, disk()) == Digests{module("b")});
}

TEST_CASE("a file that appeared during a pull waits until that pull is recorded") {
  // Pull 7 is in flight when b is first seen: b may be its module, renamed but not recorded.
  Pruner p(Millis{0});
  PruneInput pulling = disk();
  pulling.oldest_pull = 7;
  pulling.next_pull = 8;
  CHECK(p.due(t0, pulling).empty());
  CHECK(p.due(t0 + 1h, pulling).empty());
  PruneInput later = pulling;  // pull 7 done; 8, started after b was seen, does not hold it
  later.oldest_pull = 8;
  later.next_pull = 9;
  CHECK(p.due(t0 + 1h, later) == Digests{module("b")});
}

TEST_CASE("a module that could not be removed stays due") {
  Pruner p(Millis{0});
  CHECK(p.due(t0, disk()) == Digests{module("b")});
  CHECK(p.due(t0 + 1s, disk()) == Digests{module("b")});  // forget() never came
}

TEST_CASE("a listed ref not cached holds prune back, for the grace period from when it went missing") {
  // It may need a module already on disk (a new tag for old bytes); but a ref that never
  // arrives (a deleted tag) must not keep every old module for ever.
  Pruner p(grace);
  CHECK(p.due(t0, disk()).empty());  // b unneeded from t0
  PruneInput waiting = disk();
  waiting.missing = {"r/new:1"};
  CHECK(p.due(t0 + grace, waiting).empty());  // r/new:1 missing from here
  CHECK(p.due(t0 + 2 * grace - 1ms, waiting).empty());
  CHECK(p.due(t0 + 2 * grace, waiting) == Digests{module("b")});  // b's grace ran long ago
}

TEST_CASE("a ref that goes missing again waits a new grace period") {
  Pruner p(grace);
  PruneInput waiting = disk();
  waiting.missing = {"r/new:1"};
  CHECK(p.due(t0, waiting).empty());
  CHECK(p.due(t0 + 1s, disk()).empty());   // cached: no longer missing; b first seen unneeded now
  CHECK(p.due(t0 + 2s, waiting).empty());  // missing again (its module vanished) from here
  CHECK(p.due(t0 + grace + 1s, waiting).empty());
  CHECK(p.due(t0 + grace + 2s, waiting) == Digests{module("b")});
}
