#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

namespace wasme {

// Time as the library reads it: a monotonic now, sleeping, and waiting on a condition
// variable until a time. Whatever decides by time (retries, token expiry, the cache's
// backoff and prune, --apply's wait for the cache) takes a Clock, so tests substitute a
// FakeClock and neither wait nor depend on how loaded the machine is. Wall-clock time (dates
// in headers and logs) is not its business.
class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual time_point now() = 0;
  virtual void sleep_for(std::chrono::milliseconds duration) = 0;
  // Blocks on cv (lock is held, and released while blocked) until cv is notified or this
  // clock reaches deadline (time_point::max(): no deadline). May return early for no
  // reason, like the standard waits: callers re-check what they wait for.
  virtual void wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, time_point deadline) = 0;
};

// The process-wide real clock: std::chrono::steady_clock and real sleeps.
Clock& system_clock();

// Waits (as Clock::wait_until) until pred() holds or the clock reaches deadline; returns
// pred() at the end, like std::condition_variable::wait_until with a predicate.
template <class Predicate>
bool wait_until(Clock& clock, std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                Clock::time_point deadline, Predicate pred) {
  while (!pred()) {
    if (clock.now() >= deadline) return pred();
    clock.wait_until(cv, lock, deadline);
  }
  return true;
}

// A clock for tests that moves only when advanced (sleep_for advances it too): timeouts,
// backoff and grace periods pass at once, and the same way on a loaded machine. Safe to use
// from several threads; advance() wakes whoever waits on it. A waiter's mutex must outlive
// any advance() that may still wake it, and advance() (or sleep_for) must not be called
// holding one: it takes each waiter's mutex to wake it.
class FakeClock : public Clock {
 public:
  time_point now() override;
  void sleep_for(std::chrono::milliseconds duration) override;
  void wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, time_point deadline) override;

  void advance(std::chrono::steady_clock::duration by);
  // How many threads wait on this clock right now.
  int waiting() const;
  // Called each time a thread starts waiting on this clock (from that thread, with its lock
  // held): a test learns that the code under test has gone idle and may look again.
  void on_wait(std::function<void()> hook);

 private:
  struct Waiter {
    std::condition_variable* cv;
    std::mutex* mutex;
  };
  mutable std::mutex mutex_;
  // Not the epoch: code may use a default-constructed time_point to mean "never".
  time_point now_ = time_point{} + std::chrono::hours(1);
  std::vector<Waiter> waiters_;
  std::function<void()> on_wait_;
};

}  // namespace wasme
