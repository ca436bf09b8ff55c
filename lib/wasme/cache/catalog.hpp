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
  int failures = 0;            // consecutive failed attempts
  std::uint64_t attempts = 0;  // finished attempts, so a waiter can recognise its own
  Clock::time_point next_attempt{};
  Clock::time_point pull_started{};  // of the pull under way (state pulling)
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
  explicit Catalog(Backoff backoff, PullSlots slots = {}) : backoff_(backoff), slots_(slots) {}

  // A ref known to be cached from a previous run (the on-disk index).
  void restore(const std::string& ref, const oci::Digest& digest, std::uint64_t size);
  // Replaces the listed refs. New refs are due at once; unlisted ones are forgotten unless
  // their module is on disk (prune decides about those) or a pull is under way.
  ListChange set_listed(const std::vector<std::string>& refs);
  // A ref asked for over HTTP: due at once even when it is backing off. False when the
  // ref is new and `limit` requested refs are already known.
  bool request(const std::string& ref, std::size_t limit);

  // The next ref to pull, marked pulling; nothing when none is due or no slot is free (see
  // PullSlots). Requested refs go first, then listed refs that have failed fewer times (so
  // refs that keep failing, slow ones included, never hold back one not tried yet), in list
  // order.
  std::optional<std::string> start_next(Clock::time_point now);
  // When the next failed ref becomes due; Clock::time_point::max() when none waits.
  Clock::time_point next_due() const;
  // When start_next may next have something, slots included: now or earlier when it has,
  // the time a running pull turns slow when only that would free a slot, and
  // Clock::time_point::max() when only a finished pull or a list change can (they notify).
  Clock::time_point next_start(Clock::time_point now) const;
  // Outcomes of a pull. Return whether the change deserves a log line: a failure is
  // logged when it is new or its message changed, not on every retry.
  bool mark_cached(const std::string& ref, const oci::Digest& digest, std::uint64_t size);
  bool mark_failed(const std::string& ref, const Error& error, Clock::time_point now);

  // The module file of a cached ref vanished: its refs go back to pending; returns them.
  std::vector<std::string> module_lost(const oci::Digest& digest);
  // A module was pruned: forget the unlisted refs that pointed at it.
  void module_removed(const oci::Digest& digest);

  const RefStatus* find(const std::string& ref) const;
  // The listed ref that `ref` names: the same text or the same reference once both are
  // parsed (r/x names docker.io/r/x:latest); nothing when it is not listed.
  std::optional<std::string> listed_as(const std::string& ref) const;
  // Whether a listed ref is cached as this module.
  bool is_listed_module(const oci::Digest& digest) const;
  // Listed refs not cached yet, in list order.
  std::vector<std::string> missing() const;
  // Modules that listed refs point at (prune keeps these).
  std::set<std::string> needed_modules() const;
  std::vector<RefStatus> snapshot() const;
  const std::vector<std::string>& listed() const { return listed_; }

 private:
  bool wanted(const RefStatus& s) const { return s.listed || s.requested; }
  void erase_if_unwanted(const std::string& ref);

  // Pulls under way, and how many of them have run for slots_.slow_after; the earliest time
  // one of the others turns slow (max() when none will).
  struct Running {
    int pulls = 0;
    int slow = 0;
    Clock::time_point next_slow = Clock::time_point::max();
  };
  Running running(Clock::time_point now) const;
  bool slot_free(const Running& r) const;

  Backoff backoff_;
  PullSlots slots_;
  std::map<std::string, RefStatus> refs_;
  std::vector<std::string> listed_;
  std::map<std::string, std::string> canonical_;  // parsed form of a listed ref -> the ref
};

}  // namespace wasme::cache
