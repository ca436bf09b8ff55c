#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "wasme/cache/config.hpp"
#include "wasme/core/error.hpp"
#include "wasme/oci/digest.hpp"

namespace wasme::cache {

// Where a ref is in its life: waiting for a pull, being pulled, on disk, or failed (and
// waiting for its next attempt).
enum class RefState { pending, pulling, cached, failed };
const char* to_string(RefState state);

struct RefStatus {
  std::string ref;
  RefState state = RefState::pending;
  bool listed = false;     // in the ref file or on the command line right now
  bool requested = false;  // asked for over HTTP (GET /<ref>)
  oci::Digest digest;      // the module's sha256, once cached
  std::uint64_t size = 0;
  std::string last_error;  // of the latest failed attempt
  ErrorKind last_error_kind = ErrorKind::network;
  int failures = 0;        // consecutive failed attempts
  std::uint64_t attempts = 0;   // finished attempts, so a waiter can recognise its own
  Clock::time_point next_attempt{};
};

// Refs that entered and left the list, for one log line per change.
struct ListChange {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  bool empty() const { return added.empty() && removed.empty(); }
};

// The state of every ref the daemon knows and the decisions about them: what to pull next,
// when to retry, what is missing, which modules are still needed. No clocks, threads or
// files: the daemon passes `now` in and holds the lock, so every rule is unit-testable.
class Catalog {
 public:
  explicit Catalog(Backoff backoff) : backoff_(backoff) {}

  // A ref known to be cached from a previous run (the on-disk index).
  void restore(const std::string& ref, const oci::Digest& digest, std::uint64_t size);
  // Replaces the listed refs. New refs are due at once; unlisted ones are forgotten unless
  // their module is on disk (prune decides about those) or a pull is under way.
  ListChange set_listed(const std::vector<std::string>& refs);
  // A ref asked for over HTTP: due at once even when it is backing off. False when the
  // ref is new and `limit` requested refs are already known.
  bool request(const std::string& ref, std::size_t limit);

  // The next ref to pull (requested ones first), marked pulling; nothing when none is due.
  std::optional<std::string> start_next(Clock::time_point now);
  // When the next failed ref becomes due; Clock::time_point::max() when none waits.
  Clock::time_point next_due() const;
  // Outcomes of a pull. Return whether the change deserves a log line: a failure is
  // logged when it is new or its message changed, not on every retry.
  bool mark_cached(const std::string& ref, const oci::Digest& digest, std::uint64_t size);
  bool mark_failed(const std::string& ref, const Error& error, Clock::time_point now);

  // The module file of a cached ref vanished: its refs go back to pending; returns them.
  std::vector<std::string> module_lost(const oci::Digest& digest);
  // A module was pruned: forget the unlisted refs that pointed at it.
  void module_removed(const oci::Digest& digest);

  const RefStatus* find(const std::string& ref) const;
  // Listed refs not cached yet, in list order.
  std::vector<std::string> missing() const;
  // Modules that listed refs point at (prune keeps these).
  std::set<std::string> needed_modules() const;
  std::vector<RefStatus> snapshot() const;
  const std::vector<std::string>& listed() const { return listed_; }

 private:
  bool wanted(const RefStatus& s) const { return s.listed || s.requested; }
  void erase_if_unwanted(const std::string& ref);

  Backoff backoff_;
  std::map<std::string, RefStatus> refs_;
  std::vector<std::string> listed_;
};

}  // namespace wasme::cache
